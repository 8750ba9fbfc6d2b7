package org.fusefs.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** {@code fusefs mkfs IMAGE --size SIZE [--force]}: makes an image file holding an empty filesystem. */
final class MkfsCommand {
    static final long MIN_SIZE = 16L << 20;
    static final long MAX_SIZE = 64L << 40;

    private MkfsCommand() {
    }

    static int run(List<String> args) throws CliException, IOException {
        Path image = null;
        Long size = null;
        boolean force = false;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            switch (a) {
                case "--size", "-s" -> size = Sizes.parse("--size", MountOptions.value(args, ++i, a), MIN_SIZE, MAX_SIZE);
                case "--force", "-f" -> force = true;
                default -> {
                    if (a.startsWith("-")) {
                        throw CliException.usage("mkfs: unknown option " + a);
                    }
                    if (image != null) {
                        throw CliException.usage("mkfs: more than one image: " + image + " and " + a);
                    }
                    image = Path.of(a);
                }
            }
        }
        if (image == null || size == null) {
            throw CliException.usage("usage: ./fusefs mkfs IMAGE --size SIZE (e.g. --size 8G)");
        }
        if (Files.exists(image) && !force) {
            throw CliException.failed("image " + image + " already exists (--force to overwrite it)");
        }
        Path parent = image.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            throw CliException.failed("directory " + parent + " does not exist");
        }
        Backends.mkfs(image, size);
        System.err.println("fusefs: made " + image + " (" + Sizes.format(size) + ")");
        return 0;
    }
}
