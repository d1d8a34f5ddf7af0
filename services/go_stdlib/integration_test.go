package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
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

// testKey returns a fresh Idempotency-Key whose device is deleted when the test ends.
func testKey(t *testing.T, pg *Postgres) string {
	t.Helper()
	key := "go-stdlib-test-" + uuid.NewString()
	t.Cleanup(func() {
		pg.pool.Exec(context.Background(), "DELETE FROM devices WHERE idempotency_key = $1", key) //nolint:errcheck // best effort
	})
	return key
}

// keyedRows counts the devices stored under key.
func keyedRows(t *testing.T, pg *Postgres, key string) (n int) {
	t.Helper()
	if err := pg.pool.QueryRow(t.Context(), "SELECT COUNT(*) FROM devices WHERE idempotency_key = $1", key).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestLiveDevicesCreateWithIdempotencyKey(t *testing.T) {
	live := openLive(t)
	h := handleDevicesCreate(discardLogger(), live.pg, live.cache, newMetrics(nil))
	key := testKey(t, live.pg)
	const body = `{"mac":"EF-2B-C4-F5-D6-34","firmware":"keyed"}`

	// Concurrent first requests: one inserts, the others wait for it and answer its device.
	answers := make(chan string, 4)
	for range cap(answers) {
		go func() {
			w := serveWithKey(h, body, key)
			answers <- strconv.Itoa(w.Code) + " " + w.Body.String()
		}()
	}
	first := <-answers
	for range cap(answers) - 1 {
		if got := <-answers; got != first {
			t.Errorf("concurrent answers differ: %s and %s", first, got)
		}
	}
	if !strings.HasPrefix(first, "201 ") {
		t.Fatalf("answered %s, want 201", first)
	}
	if again := serveWithKey(h, body, key); "201 "+again.Body.String() != first {
		t.Errorf("repeat answered %d %s, want %s", again.Code, again.Body, first)
	}
	if n := keyedRows(t, live.pg, key); n != 1 {
		t.Errorf("%d rows under the key, want 1", n)
	}

	w := serveWithKey(h, `{"mac":"EF-2B-C4-F5-D6-34","firmware":"other"}`, key)
	if w.Code != http.StatusUnprocessableEntity {
		t.Errorf("different request under the key = %d %s, want 422", w.Code, w.Body)
	}
}

// lockDevices holds LOCK TABLE devices IN SHARE MODE until the returned func is called:
// every INSERT into devices meanwhile is sent and then waits for the lock.
func lockDevices(t *testing.T, pg *Postgres) (release func()) {
	t.Helper()
	tx, err := pg.pool.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(t.Context(), "LOCK TABLE devices IN SHARE MODE"); err != nil {
		tx.Rollback(context.Background()) //nolint:errcheck // the lock's error is the one to report
		t.Fatal(err)
	}
	return func() { tx.Rollback(context.Background()) } //nolint:errcheck // ends the lock either way
}

// openSolo opens a pool of one connection with the given runtime parameters ("" for none).
func openSolo(t *testing.T, params string) *Postgres {
	t.Helper()
	url := os.Getenv("DATABASE_URL")
	if params != "" {
		url += "?" + params
	}
	pg, err := openPostgres(t.Context(), url, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pg.Close)
	return pg
}

// TestLiveInsertPastTheDeadlineIsOutcomeUnknown sends an INSERT that waits for a lock until
// the request's deadline: its outcome is unknown, and a retry with the same key settles it
// with exactly one device, whichever way the first attempt went.
func TestLiveInsertPastTheDeadlineIsOutcomeUnknown(t *testing.T) {
	live := openLive(t)
	solo := openSolo(t, "")
	// A first insert prepares the statements on solo's connection, so that the next one is
	// sent, and only then waits.
	if _, _, err := solo.InsertDeviceOnce(t.Context(), testKey(t, live.pg), uuid.New(), "EF-2B-C4-F5-D6-34", "warm-up", time.Now()); err != nil {
		t.Fatal(err)
	}
	key := testKey(t, live.pg)
	at := time.Now().UTC().Truncate(time.Millisecond)

	release := lockDevices(t, live.pg)
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	_, _, err := solo.InsertDeviceOnce(ctx, key, uuid.New(), "EF-2B-C4-F5-D6-34", "blocked", at)
	release()
	if !errors.Is(err, errOutcomeUnknown) {
		t.Fatalf("InsertDeviceOnce past its deadline = %v, want outcome unknown", err)
	}

	stored, _, err := live.pg.InsertDeviceOnce(t.Context(), key, uuid.New(), "EF-2B-C4-F5-D6-34", "blocked", at)
	if err != nil || stored.Firmware != "blocked" {
		t.Fatalf("retry = %+v, %v", stored, err)
	}
	if n := keyedRows(t, live.pg, key); n != 1 {
		t.Errorf("%d rows under the key, want 1", n)
	}
}

// TestLiveParseWaitingPastTheDeadlineIsNotWritten: on a new connection the INSERT is prepared
// first, and parsing it already waits for the lock. The deadline strikes before it ran.
func TestLiveParseWaitingPastTheDeadlineIsNotWritten(t *testing.T) {
	live := openLive(t)
	solo := openSolo(t, "")
	firmware := "unparsed-" + uuid.NewString()

	release := lockDevices(t, live.pg)
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	_, err := solo.InsertDevice(ctx, uuid.New(), "EF-2B-C4-F5-D6-34", firmware, time.Now())
	release()
	if err == nil || errors.Is(err, errOutcomeUnknown) {
		t.Fatalf("InsertDevice = %v, want a failure known to have written nothing", err)
	}
	var n int
	if err := live.pg.pool.QueryRow(t.Context(), "SELECT COUNT(*) FROM devices WHERE firmware = $1", firmware).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d rows, %v; want none", n, err)
	}
}

// TestLiveStatementTimeoutIsNotWritten has PostgreSQL cancel a waiting INSERT
// (statement_timeout): the server answered an error, so the row was not written.
func TestLiveStatementTimeoutIsNotWritten(t *testing.T) {
	live := openLive(t)
	impatient := openSolo(t, "statement_timeout=200")
	key := testKey(t, live.pg)

	release := lockDevices(t, live.pg)
	_, _, err := impatient.InsertDeviceOnce(t.Context(), key, uuid.New(), "EF-2B-C4-F5-D6-34", "cancelled", time.Now())
	release()
	if pgErr, ok := errors.AsType[*pgconn.PgError](err); !ok || pgErr.Code != "57014" {
		t.Fatalf("InsertDeviceOnce = %v, want query_canceled (57014)", err)
	}
	if errors.Is(err, errOutcomeUnknown) {
		t.Errorf("InsertDeviceOnce = %v, want a failure known to have written nothing", err)
	}
	if n := keyedRows(t, live.pg, key); n != 0 {
		t.Errorf("%d rows under the key, want none", n)
	}
}
