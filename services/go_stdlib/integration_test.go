package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"
)

// These tests use the real databases when the contract's environment is set
// (`uv run loadtest infra env go_stdlib`), and skip otherwise.

type liveDeps struct {
	pg    *Postgres
	my    *MySQL
	cache *Cache
}

func openLive(t *testing.T) liveDeps {
	t.Helper()
	pgURL, myURL, mcAddr := os.Getenv("DATABASE_URL"), os.Getenv("MYSQL_URL"), os.Getenv("MEMCACHED_ADDR")
	if pgURL == "" || myURL == "" || mcAddr == "" {
		t.Skip("DATABASE_URL, MYSQL_URL or MEMCACHED_ADDR unset: no live databases")
	}
	pg, err := openPostgres(t.Context(), pgURL, 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pg.Close)
	my, err := openMySQL(myURL, 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { my.Close() })
	return liveDeps{pg, my, newCache(mcAddr, time.Minute)}
}

func TestLiveListUsers(t *testing.T) {
	live := openLive(t)
	users, err := live.pg.ListUsers(t.Context(), 41, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := []user{
		{42, "user_0042", "user_0042@example.com", "2024-01-01T00:42:00Z"},
		{43, "user_0043", "user_0043@example.com", "2024-01-01T00:43:00Z"},
	}
	if len(users) != 2 || users[0] != want[0] || users[1] != want[1] {
		t.Errorf("ListUsers(41, 2) = %+v, want %+v", users, want)
	}
	if users, err := live.pg.ListUsers(t.Context(), 2000, 100); err != nil || len(users) != 0 {
		t.Errorf("ListUsers(2000, 100) = %d users, %v; want none", len(users), err)
	}
}

func TestLiveMixTransactionLeavesTheTableAsItWas(t *testing.T) {
	live := openLive(t)
	count := func() (n int) {
		if err := live.my.db.QueryRowContext(t.Context(), "SELECT COUNT(*) FROM mix_items").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := count()
	counts, err := live.my.MixTransaction(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if counts != (mixCounts{Created: 10, Updated: 5, Deleted: 10}) {
		t.Errorf("MixTransaction() = %+v", counts)
	}
	if after := count(); after != before {
		t.Errorf("mix_items has %d rows, had %d", after, before)
	}
}

// TestLiveDeadlockVictimIsRetried makes two transactions deadlock on the real MariaDB: each
// holds a row the other wants. InnoDB rolls back the lighter one, which retryDeadlocks runs
// again, and the second attempt commits.
func TestLiveDeadlockVictimIsRetried(t *testing.T) {
	live := openLive(t)
	db, ctx := live.my.db, t.Context()
	batch := uuid.NewString() // rows x and y, of a batch no request uses
	t.Cleanup(func() {
		db.ExecContext(context.Background(), "DELETE FROM mix_items WHERE batch = ?", batch) //nolint:errcheck // best effort
	})
	var ids [2]int64
	for i := range ids {
		res, err := db.ExecContext(ctx, "INSERT INTO mix_items (batch, name, value) VALUES (?, 'row', ?)", batch, i)
		if err != nil {
			t.Fatal(err)
		}
		if ids[i], err = res.LastInsertId(); err != nil {
			t.Fatal(err)
		}
	}
	x, y := ids[0], ids[1]
	update := "UPDATE mix_items SET value = value + 1 WHERE id = ?"

	// The winner locks y, after enough undo log to make it the heavier transaction: InnoDB
	// rolls back the one that has done the least work.
	winner, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer winner.Rollback() //nolint:errcheck // in case the test fails before the goroutine rolls it back
	for k := range 20 {
		if _, err := winner.ExecContext(ctx, "INSERT INTO mix_items (batch, name, value) VALUES (?, 'ballast', ?)", batch, k); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := winner.ExecContext(ctx, update, y); err != nil {
		t.Fatal(err)
	}

	var winnerDone chan error // the winner's last statements, once started
	var attempts []error
	counts, err := retryDeadlocks(ctx, func(ctx context.Context) (counts mixCounts, err error) {
		defer func() { attempts = append(attempts, err) }()
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return mixCounts{}, err
		}
		defer tx.Rollback() //nolint:errcheck // a no-op after Commit
		if _, err := tx.ExecContext(ctx, update, x); err != nil {
			return mixCounts{}, err
		}
		if len(attempts) == 0 {
			// Now the winner waits for x, held here, while this waits for y: a cycle.
			winnerDone = make(chan error, 1)
			go func() {
				_, err := winner.ExecContext(ctx, update, x)
				winnerDone <- errors.Join(err, winner.Rollback())
			}()
		}
		if _, err := tx.ExecContext(ctx, update, y); err != nil {
			return mixCounts{}, err
		}
		return mixCounts{Updated: 2}, tx.Commit()
	})
	if winnerDone != nil {
		if werr := <-winnerDone; werr != nil {
			t.Errorf("the winner failed: %v", werr)
		}
	}
	if err != nil || counts.Updated != 2 {
		t.Fatalf("retryDeadlocks() = %+v, %v; want the second attempt to commit", counts, err)
	}
	if len(attempts) != 2 || !isDeadlock(attempts[0]) {
		t.Errorf("attempts failed with %v; want a deadlock, then success", attempts)
	}
}

func TestLiveDevicesCreateCachesTheResponse(t *testing.T) {
	live := openLive(t)
	h := handleDevicesCreate(discardLogger(), live.pg, live.cache, newMetrics(nil))
	w := serve(h, http.MethodPost, "/api/devices", `{"mac":"EF-2B-C4-F5-D6-34","firmware":"live-test"}`)
	if w.Code != http.StatusCreated {
		t.Fatalf("status = %d (body %s)", w.Code, w.Body)
	}
	var created device
	if err := json.Unmarshal(w.Body.Bytes(), &created); err != nil {
		t.Fatal(err)
	}
	item, err := live.cache.client.Get("device:" + created.UUID)
	if err != nil || string(item.Value) != w.Body.String() {
		t.Errorf("memcached has %v, %v; want the response body", item, err)
	}
	var mac string
	err = live.pg.pool.QueryRow(context.Background(), "SELECT mac FROM devices WHERE id = $1", created.ID).Scan(&mac)
	if err != nil || mac != created.MAC {
		t.Errorf("row %d: mac %q, %v", created.ID, mac, err)
	}
}
