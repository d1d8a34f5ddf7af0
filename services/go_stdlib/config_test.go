package main

import (
	"testing"
	"time"
)

func env(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

var requiredEnv = map[string]string{
	"DATABASE_URL":   "postgresql://u:p@127.0.0.1:5432/db",
	"MYSQL_URL":      "mysql://u:p@127.0.0.1:3306/db",
	"MEMCACHED_ADDR": "127.0.0.1:11211",
	"EXTERNAL_URL":   "http://127.0.0.1:8081/external",
}

func TestLoadConfigDefaults(t *testing.T) {
	cfg, err := loadConfig(env(requiredEnv))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Host != "127.0.0.1" || cfg.Port != "8000" || cfg.PoolSize != 10 ||
		cfg.CacheTTL != 20*time.Second || cfg.ExternalTimeout != 2*time.Second {
		t.Errorf("defaults = %+v", cfg)
	}
}

func TestLoadConfigOverrides(t *testing.T) {
	vars := map[string]string{"HOST": "0.0.0.0", "PORT": "9000", "POOL_SIZE": "32",
		"CACHE_TTL_SECONDS": "5", "EXTERNAL_TIMEOUT_SECONDS": "0.5"}
	for k, v := range requiredEnv {
		vars[k] = v
	}
	cfg, err := loadConfig(env(vars))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Host != "0.0.0.0" || cfg.Port != "9000" || cfg.PoolSize != 32 ||
		cfg.CacheTTL != 5*time.Second || cfg.ExternalTimeout != 500*time.Millisecond {
		t.Errorf("config = %+v", cfg)
	}
}

func TestLoadConfigRefusesMissingOrBadValues(t *testing.T) {
	for name, override := range map[string][2]string{
		"no database":       {"DATABASE_URL", ""},
		"no memcached":      {"MEMCACHED_ADDR", ""},
		"pool size zero":    {"POOL_SIZE", "0"},
		"pool size word":    {"POOL_SIZE", "ten"},
		"negative ttl":      {"CACHE_TTL_SECONDS", "-1"},
		"timeout not float": {"EXTERNAL_TIMEOUT_SECONDS", "2s"},
	} {
		vars := map[string]string{}
		for k, v := range requiredEnv {
			vars[k] = v
		}
		vars[override[0]] = override[1]
		if _, err := loadConfig(env(vars)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestMySQLDSN(t *testing.T) {
	for rawURL, want := range map[string]string{
		"mysql://bench:bench@127.0.0.1:23306/bench": "bench:bench@tcp(127.0.0.1:23306)/bench?interpolateParams=true&readTimeout=3s&timeout=3s&writeTimeout=3s",
		"mysql://u:p%40ss@db.local/app":             "u:p@ss@tcp(db.local:3306)/app?interpolateParams=true&readTimeout=3s&timeout=3s&writeTimeout=3s",
	} {
		got, err := mysqlDSN(rawURL)
		if err != nil || got != want {
			t.Errorf("mysqlDSN(%q) = %q, %v; want %q", rawURL, got, err, want)
		}
	}
	for _, bad := range []string{"postgresql://u:p@h/db", "mysql:///db", "::"} {
		if _, err := mysqlDSN(bad); err == nil {
			t.Errorf("mysqlDSN(%q): no error", bad)
		}
	}
}
