package org.fusefs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class EnvironmentCheckTest {

    @Test
    void missingDevFuse_saysHowToGetIt() throws Exception {
        MountOptions o = MountOptions.parse(List.of("/tmp"));
        CliException e = assertThrows(CliException.class,
                () -> MountCommand.checkEnvironment(o, Path.of("/nonexistent/dev/fuse")));
        assertEquals(CliException.FAILED, e.status());
        assertTrue(e.getMessage().contains("/nonexistent/dev/fuse is missing") && e.getMessage().contains("modprobe fuse"),
                e.getMessage());
    }
}
