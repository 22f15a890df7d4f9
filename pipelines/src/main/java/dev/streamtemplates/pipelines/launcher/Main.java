package dev.streamtemplates.pipelines.launcher;

/** The bundles' entry point; see {@link Launcher}. Thin on purpose: parse, validate, run, exit. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    // Everything printed, the runners' log lines included, goes through one redaction of secrets.
    Redaction redaction = new Redaction();
    System.setOut(redaction.wrap(new java.io.FileOutputStream(java.io.FileDescriptor.out)));
    System.setErr(redaction.wrap(new java.io.FileOutputStream(java.io.FileDescriptor.err)));
    int code = new Launcher(System.out, redaction).main(args);
    System.out.flush();
    System.exit(code);
  }
}
