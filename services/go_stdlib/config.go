package main

import (
	"fmt"
	"strconv"
	"time"
)

// config is the contract's environment (CONTRACT.md, "Environment").
type config struct {
	Host            string
	Port            string
	DatabaseURL     string
	MySQLURL        string
	MemcachedAddr   string
	ExternalURL     string
	PoolSize        int
	CacheTTL        time.Duration
	ExternalTimeout time.Duration
}

func loadConfig(getenv func(string) string) (config, error) {
	cfg := config{
		Host:          withDefault(getenv("HOST"), "127.0.0.1"),
		Port:          withDefault(getenv("PORT"), "8000"),
		DatabaseURL:   getenv("DATABASE_URL"),
		MySQLURL:      getenv("MYSQL_URL"),
		MemcachedAddr: getenv("MEMCACHED_ADDR"),
		ExternalURL:   getenv("EXTERNAL_URL"),
	}
	for name, value := range map[string]string{
		"DATABASE_URL":   cfg.DatabaseURL,
		"MYSQL_URL":      cfg.MySQLURL,
		"MEMCACHED_ADDR": cfg.MemcachedAddr,
		"EXTERNAL_URL":   cfg.ExternalURL,
	} {
		if value == "" {
			return config{}, fmt.Errorf("%s is required", name)
		}
	}

	var err error
	if cfg.PoolSize, err = positiveInt(getenv, "POOL_SIZE", "10"); err != nil {
		return config{}, err
	}
	ttl, err := positiveInt(getenv, "CACHE_TTL_SECONDS", "20")
	if err != nil {
		return config{}, err
	}
	cfg.CacheTTL = time.Duration(ttl) * time.Second

	raw := withDefault(getenv("EXTERNAL_TIMEOUT_SECONDS"), "2")
	seconds, err := strconv.ParseFloat(raw, 64)
	if err != nil || seconds <= 0 {
		return config{}, fmt.Errorf("EXTERNAL_TIMEOUT_SECONDS: want a positive number of seconds, got %q", raw)
	}
	cfg.ExternalTimeout = time.Duration(seconds * float64(time.Second))
	return cfg, nil
}

func positiveInt(getenv func(string) string, name, fallback string) (int, error) {
	raw := withDefault(getenv(name), fallback)
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%s: want a positive integer, got %q", name, raw)
	}
	return n, nil
}

func withDefault(value, fallback string) string {
	if value == "" {
		return fallback
	}
	return value
}
