package org.fusefs.fusefs.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.reflect.Field;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fusefs.fusefs.testing.Capabilities;
import org.junit.jupiter.api.Test;

/** The C header is the definition: compile a program that prints it and compare with Java. */
class FusefsIoctlHeaderTest {

    @Test
    void everyHeaderValue_matchesTheJavaConstant() throws Exception {
        Capabilities.Result r = Capabilities.run(List.of(Capabilities.gcc("ioctl_dump").toString()), null, 30);
        assertEquals(0, r.status(), r.output());
        Map<String, Long> c = new LinkedHashMap<>();
        for (String line : r.output().split("\n")) {
            int eq = line.indexOf('=');
            c.put(line.substring(0, eq), Long.parseLong(line.substring(eq + 1)));
        }
        assertEquals(36, c.size(), "values printed: " + c.keySet());
        for (Map.Entry<String, Long> e : c.entrySet()) {
            Field f = FusefsIoctl.class.getField(e.getKey());
            long java = ((Number) f.get(null)).longValue();
            if (e.getKey().equals("MAGIC")) {
                java &= 0xFFFFFFFFL;
            }
            assertEquals(e.getValue().longValue(), java, e.getKey());
        }
    }

    @Test
    void ioctlSizes_fitTheKernelsRestrictedIoctlLimit() {
        for (int cmd : new int[] {FusefsIoctl.PROBE, FusefsIoctl.FALLOCATE, FusefsIoctl.SEEK,
                FusefsIoctl.HWPOISON, FusefsIoctl.REPORT}) {
            int size = FusefsIoctl.size(cmd);
            assertEquals(true, size > 0 && size <= 16383, "size " + size);
        }
        assertEquals(FusefsIoctl.REPORT_SIZE, FusefsIoctl.size(FusefsIoctl.REPORT));
    }
}
