package org.fusefs.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * {@code fusefs install-mount-helper [--dir DIR] [--remove]}: installs {@code mount.fuse.fusefs}
 * (default into /sbin, where mount(8) looks for helpers) with this tool's command filled in, or
 * removes it.
 */
final class InstallMountHelper {
    static final String NAME = "mount.fuse.fusefs";
    static final String PLACEHOLDER = "@FUSEFS_COMMAND@";

    private InstallMountHelper() {
    }

    static int run(List<String> args) throws CliException, IOException {
        Path dir = Path.of("/sbin");
        boolean remove = false;
        for (int i = 0; i < args.size(); i++) {
            switch (args.get(i)) {
                case "--dir" -> dir = Path.of(MountOptions.value(args, ++i, "--dir"));
                case "--remove" -> remove = true;
                default -> throw CliException.usage("install-mount-helper: unknown argument " + args.get(i));
            }
        }
        Path target = dir.resolve(NAME);
        try {
            if (remove) {
                if (!Files.deleteIfExists(target)) {
                    throw CliException.failed(target + " is not installed");
                }
                System.err.println("fusefs: removed " + target);
                return 0;
            }
            if (!Files.isDirectory(dir)) {
                throw CliException.failed(dir + " is not a directory");
            }
            Files.writeString(target, script(), StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (AccessDeniedException e) {
            throw CliException.failed("cannot write " + target + ": permission denied (run as root)");
        }
        System.err.println("fusefs: installed " + target + "; now `mount -t fuse.fusefs IMAGE MOUNTPOINT` works");
        return 0;
    }

    /** The helper script with the command that runs this tool filled in. */
    static String script() throws IOException {
        String template;
        try (InputStream in = InstallMountHelper.class.getResourceAsStream(NAME)) {
            if (in == null) {
                throw new IOException("resource " + NAME + " missing from the build");
            }
            template = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        return template.replace(PLACEHOLDER, command());
    }

    /** The repository's launcher when this runs from a build tree, else a direct java command. */
    static String command() {
        try {
            Path code = Path.of(InstallMountHelper.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            // fuse/target/fusefs.jar or fuse/target/classes -> repository root
            Path root = code.getParent().getParent().getParent();
            Path launcher = root.resolve("fusefs");
            if (Files.isExecutable(launcher)) {
                return launcher.toString();
            }
        } catch (java.net.URISyntaxException | RuntimeException e) {
            // fall through to the java command
        }
        return Path.of(System.getProperty("java.home"), "bin", "java") + " -cp "
                + System.getProperty("java.class.path") + " " + Main.class.getName();
    }
}
