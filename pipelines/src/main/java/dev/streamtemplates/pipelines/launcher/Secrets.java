package dev.streamtemplates.pipelines.launcher;

import java.util.regex.Pattern;

/** Masks values that must never reach a log: passwords, JAAS configs, tokens, keys. */
public final class Secrets {
  private static final Pattern SECRET_KEY =
      Pattern.compile("(?i).*(password|passwd|secret|token|jaas|credential|api[._-]?key|private[._-]?key|keystore\\.key|sasl\\.).*");

  private Secrets() {}

  public static boolean isSecret(String key) {
    return SECRET_KEY.matcher(key).matches();
  }

  /** {@code --key=value} with the value masked when the key looks secret. */
  public static String maskArg(String arg) {
    int eq = arg.indexOf('=');
    if (!arg.startsWith("--") || eq < 0) {
      return arg;
    }
    return isSecret(arg.substring(2, eq)) ? arg.substring(0, eq + 1) + "******" : arg;
  }
}
