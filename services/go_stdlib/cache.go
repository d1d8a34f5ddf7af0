package main

import (
	"context"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
)

const (
	// cacheTimeout bounds each memcached dial, read and write: the cache must never hold
	// up a request for long.
	cacheTimeout = 500 * time.Millisecond
	// cacheMaxIdleConns is how many connections stay open between requests. gomemcache's
	// default of 2 would make most concurrent requests dial again.
	cacheMaxIdleConns = 256
)

// Cache is the memcached client, with the TTL of the keys it writes.
type Cache struct {
	client *memcache.Client
	ttl    int32
}

func newCache(addr string, ttl time.Duration) *Cache {
	client := memcache.New(addr)
	client.Timeout = cacheTimeout
	client.MaxIdleConns = cacheMaxIdleConns
	return &Cache{client: client, ttl: int32(ttl / time.Second)}
}

// Set stores value under key for the cache's TTL.
func (c *Cache) Set(key string, value []byte) error {
	return c.client.Set(&memcache.Item{Key: key, Value: value, Expiration: c.ttl})
}

// Ping checks that memcached answers within ctx. gomemcache takes no context, so the check
// runs aside; cacheTimeout ends it soon after an early return.
func (c *Cache) Ping(ctx context.Context) error {
	result := make(chan error, 1)
	go func() { result <- c.client.Ping() }()
	select {
	case err := <-result:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}
