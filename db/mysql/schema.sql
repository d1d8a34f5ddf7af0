-- MariaDB/MySQL schema of the io-mix workload. Idempotent: applied on every `loadtest up`.
CREATE TABLE IF NOT EXISTS mix_items (
    id         BIGINT AUTO_INCREMENT PRIMARY KEY,
    batch      CHAR(36) NOT NULL,
    name       VARCHAR(64) NOT NULL,
    value      INT NOT NULL,
    created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    INDEX ix_mix_items_batch (batch)
) ENGINE = InnoDB;
