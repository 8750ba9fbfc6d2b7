package org.fusefs.pagecache;

import java.time.Duration;

/**
 * Tunables of a {@link PageCache}, after the {@code vm.dirty_*} sysctls. Build with
 * {@link #builder()}.
 *
 * @param dirtyRatio fraction of memory that may be dirty before writers are throttled
 *     ({@code vm.dirty_ratio}, default 0.20)
 * @param backgroundRatio fraction of memory dirty at which background writeback starts at once
 *     ({@code vm.dirty_background_ratio}, default 0.10)
 * @param dirtyExpire how long a page may stay dirty before background writeback takes it
 *     ({@code vm.dirty_expire_centisecs}, default 3 s)
 * @param maxWorkers most writeback workers alive at once (default: one per CPU)
 * @param workerIdle how long an idle writeback worker lingers before it exits (default 5 s)
 * @param writebackBatch most pages handed to {@code writePages} in one call (default 256)
 */
public record PageCacheConfig(double dirtyRatio, double backgroundRatio, Duration dirtyExpire,
        int maxWorkers, Duration workerIdle, int writebackBatch) {

    public PageCacheConfig {
        if (!(dirtyRatio > 0 && dirtyRatio <= 1)) {
            throw new IllegalArgumentException("dirtyRatio (" + dirtyRatio + ") outside (0, 1]");
        }
        if (!(backgroundRatio > 0 && backgroundRatio <= dirtyRatio)) {
            throw new IllegalArgumentException(
                    "backgroundRatio (" + backgroundRatio + ") outside (0, dirtyRatio " + dirtyRatio + "]");
        }
        if (dirtyExpire.isNegative() || workerIdle.isNegative()) {
            throw new IllegalArgumentException(
                    "durations must be >= 0: dirtyExpire " + dirtyExpire + ", workerIdle " + workerIdle);
        }
        if (maxWorkers < 1) {
            throw new IllegalArgumentException("maxWorkers (" + maxWorkers + ") must be >= 1");
        }
        if (writebackBatch < 1) {
            throw new IllegalArgumentException("writebackBatch (" + writebackBatch + ") must be >= 1");
        }
    }

    public static PageCacheConfig defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Builder; see the record components for defaults. */
    public static final class Builder {
        private double dirtyRatio = 0.20;
        private double backgroundRatio = -1;
        private Duration dirtyExpire = Duration.ofSeconds(3);
        private int maxWorkers = Runtime.getRuntime().availableProcessors();
        private Duration workerIdle = Duration.ofSeconds(5);
        private int writebackBatch = 256;

        public Builder dirtyRatio(double v) {
            dirtyRatio = v;
            return this;
        }

        public Builder backgroundRatio(double v) {
            backgroundRatio = v;
            return this;
        }

        public Builder dirtyExpire(Duration v) {
            dirtyExpire = v;
            return this;
        }

        public Builder maxWorkers(int v) {
            maxWorkers = v;
            return this;
        }

        public Builder workerIdle(Duration v) {
            workerIdle = v;
            return this;
        }

        public Builder writebackBatch(int v) {
            writebackBatch = v;
            return this;
        }

        public PageCacheConfig build() {
            double bg = backgroundRatio < 0 ? dirtyRatio / 2 : backgroundRatio;
            return new PageCacheConfig(dirtyRatio, bg, dirtyExpire, maxWorkers, workerIdle, writebackBatch);
        }
    }
}
