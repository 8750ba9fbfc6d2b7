package org.fusefs.cli;

/** Parses sizes such as {@code 8G}, {@code 512M}, {@code 4096} (binary units) and checks ranges. */
final class Sizes {
    private Sizes() {
    }

    static long parse(String option, String text, long min, long max) throws CliException {
        if (text == null || text.isEmpty()) {
            throw CliException.usage(option + " needs a size such as 8G or 512M");
        }
        String t = text.toUpperCase(java.util.Locale.ROOT);
        if (t.length() > 2 && t.endsWith("IB")) {
            t = t.substring(0, t.length() - 2);
        } else if (t.length() > 1 && t.endsWith("I")) {
            t = t.substring(0, t.length() - 1);
        }
        char unit = t.charAt(t.length() - 1);
        int shift = switch (unit) {
            case 'K' -> 10;
            case 'M' -> 20;
            case 'G' -> 30;
            case 'T' -> 40;
            default -> 0;
        };
        String digits = shift == 0 ? t : t.substring(0, t.length() - 1);
        long value;
        try {
            value = Long.parseLong(digits);
        } catch (NumberFormatException e) {
            throw CliException.usage(option + ": '" + text + "' is not a size (examples: 8G, 512M, 1048576)");
        }
        if (value < 0 || (shift > 0 && value > (Long.MAX_VALUE >> shift))) {
            throw CliException.usage(option + ": " + text + " is out of range " + format(min) + ".." + format(max));
        }
        value <<= shift;
        if (value < min || value > max) {
            throw CliException.usage(option + ": " + text + " is out of range " + format(min) + ".." + format(max));
        }
        return value;
    }

    static String format(long bytes) {
        String[] units = {"", "K", "M", "G", "T"};
        int i = 0;
        while (i < units.length - 1 && bytes >= 1024 && bytes % 1024 == 0) {
            bytes /= 1024;
            i++;
        }
        return bytes + units[i];
    }
}
