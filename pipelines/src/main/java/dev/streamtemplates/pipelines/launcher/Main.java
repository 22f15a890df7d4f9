package dev.streamtemplates.pipelines.launcher;

/** The bundles' entry point; see {@link Launcher}. Thin on purpose: parse, validate, run, exit. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    int code = new Launcher(System.out).main(args);
    System.out.flush();
    System.exit(code);
  }
}
