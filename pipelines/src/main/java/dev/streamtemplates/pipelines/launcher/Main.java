package dev.streamtemplates.pipelines.launcher;

/** The bundles' entry point; see {@link Launcher}. Thin on purpose: parse, validate, run, exit. */
public final class Main {
  private Main() {}

  /** Read by the Spark bundle's log4j2.properties: the level of the libraries' loggers (default error). */
  static final String LOG_LEVEL = "templates.log.level";
  /** slf4j-simple's default level (the Direct and Flink bundles' simplelogger.properties: error). */
  static final String SIMPLE_LOG_LEVEL = "org.slf4j.simpleLogger.defaultLogLevel";

  public static void main(String[] args) {
    // Before anything logs: the bundles keep the libraries' loggers to errors, --verbose shows their
    // warnings too. Both backends read these properties once, when they start; a -D given on the
    // java command line wins.
    if (java.util.Arrays.asList(args).contains(Launcher.VERBOSE)) {
      for (String level : new String[] {LOG_LEVEL, SIMPLE_LOG_LEVEL}) {
        if (System.getProperty(level) == null) {
          System.setProperty(level, "warn");
        }
      }
    }
    // Everything printed, the runners' log lines included, goes through one redaction of secrets.
    Redaction redaction = new Redaction();
    System.setOut(redaction.wrap(new java.io.FileOutputStream(java.io.FileDescriptor.out)));
    System.setErr(redaction.wrap(new java.io.FileOutputStream(java.io.FileDescriptor.err)));
    int code = new Launcher(System.out, redaction).main(args);
    System.out.flush();
    System.exit(code);
  }
}
