package main

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/google/uuid"
)

// mixBatchSize is how many rows each io-mix transaction inserts, and then deletes.
const mixBatchSize = 10

// MySQL is the MariaDB/MySQL pool of the io-mix workload.
type MySQL struct {
	db *sql.DB
}

// openMySQL makes a pool of at most poolSize connections. It connects lazily.
func openMySQL(rawURL string, poolSize int) (*MySQL, error) {
	dsn, err := mysqlDSN(rawURL)
	if err != nil {
		return nil, fmt.Errorf("MYSQL_URL: %w", err)
	}
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(poolSize)
	db.SetMaxIdleConns(poolSize) // the default of 2 would close and reopen connections under load
	db.SetConnMaxIdleTime(5 * time.Minute)
	return &MySQL{db: db}, nil
}

// mysqlDSN turns the contract's mysql://user:pass@host:port/db into the driver's DSN, with
// every connect, read and write bounded by dbTimeout.
func mysqlDSN(rawURL string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", err
	}
	if u.Scheme != "mysql" || u.Host == "" {
		return "", fmt.Errorf("want mysql://user:pass@host:port/db, got scheme %q host %q", u.Scheme, u.Host)
	}
	cfg := mysql.NewConfig()
	cfg.User = u.User.Username()
	cfg.Passwd, _ = u.User.Password()
	cfg.Net = "tcp"
	cfg.Addr = u.Host
	if u.Port() == "" {
		cfg.Addr = net.JoinHostPort(u.Hostname(), "3306")
	}
	cfg.DBName = strings.TrimPrefix(u.Path, "/")
	cfg.Timeout = dbTimeout
	cfg.ReadTimeout = dbTimeout
	cfg.WriteTimeout = dbTimeout
	// The driver escapes the arguments into the statement itself, as Python's MySQL drivers
	// do, instead of a prepare/execute/close round trip per statement.
	cfg.InterpolateParams = true
	return cfg.FormatDSN(), nil
}

func (m *MySQL) Close() error { return m.db.Close() }

func (m *MySQL) Ping(ctx context.Context) error { return m.db.PingContext(ctx) }

func (m *MySQL) PoolStats() (size, inUse int) {
	stats := m.db.Stats()
	return stats.MaxOpenConnections, stats.InUse
}

// insertMixBatchSQL inserts mixBatchSize rows: (batch, name, value) each.
var insertMixBatchSQL = "INSERT INTO mix_items (batch, name, value) VALUES " +
	strings.TrimSuffix(strings.Repeat("(?, ?, ?), ", mixBatchSize), ", ")

// MixTransaction runs one io-mix transaction (CONTRACT.md, endpoint 6), again if MariaDB
// chose it as a deadlock victim, all attempts within ctx: the caller's deadline bounds the
// request's whole workload.
func (m *MySQL) MixTransaction(ctx context.Context) (mixCounts, error) {
	return retryDeadlocks(ctx, m.mixTransaction)
}

// mixAttempts is how many times a transaction that keeps losing deadlocks is run in all.
const mixAttempts = 3

// erLockDeadlock is MySQL/MariaDB error 1213, ER_LOCK_DEADLOCK.
const erLockDeadlock = 1213

// isDeadlock reports whether err is error 1213: InnoDB chose the transaction as a deadlock
// victim and rolled all of it back. Nothing else is safe to rerun blindly: a lock wait
// timeout (1205) rolls back only the statement, and a connection lost during COMMIT leaves
// unknown whether the transaction committed.
func isDeadlock(err error) bool {
	var myErr *mysql.MySQLError
	return errors.As(err, &myErr) && myErr.Number == erLockDeadlock
}

// retryDeadlocks runs transaction until it succeeds, fails otherwise, or has lost mixAttempts
// deadlocks. The bounded UPDATE and DELETE make deadlocks rare, not impossible: when purge
// removes delete-marked index entries, their gap locks pass to the next entry, which can be
// another batch's. The MySQL manual's answer to a deadlock is to run the transaction again;
// the random pause of a few milliseconds lets the winner finish first.
func retryDeadlocks(ctx context.Context, transaction func(context.Context) (mixCounts, error)) (mixCounts, error) {
	for attempt := 1; ; attempt++ {
		counts, err := transaction(ctx)
		if attempt == mixAttempts || !isDeadlock(err) {
			return counts, err
		}
		select {
		case <-time.After(time.Millisecond + rand.N(4*time.Millisecond)):
		case <-ctx.Done():
			return mixCounts{}, fmt.Errorf("%w before retrying: %w", ctx.Err(), err)
		}
	}
}

// mixTransaction is one attempt: insert a fresh batch of rows, count them, update half,
// delete them all. Any error rolls it back.
func (m *MySQL) mixTransaction(ctx context.Context) (counts mixCounts, err error) {
	tx, err := m.db.BeginTx(ctx, nil)
	if err != nil {
		return mixCounts{}, err
	}
	defer func() {
		if err != nil {
			tx.Rollback() //nolint:errcheck // the error that caused it is the one to report
		}
	}()

	batch := uuid.NewString()
	args := make([]any, 0, 3*mixBatchSize)
	for k := range mixBatchSize {
		args = append(args, batch, "item-"+strconv.Itoa(k), k)
	}
	if counts.Created, err = execCount(ctx, tx, insertMixBatchSQL, args...); err != nil {
		return mixCounts{}, fmt.Errorf("insert: %w", err)
	}

	var n int
	if err = tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM mix_items WHERE batch = ?", batch).Scan(&n); err != nil {
		return mixCounts{}, fmt.Errorf("count: %w", err)
	}
	if n != mixBatchSize {
		return mixCounts{}, fmt.Errorf("count: batch has %d rows, want %d", n, mixBatchSize)
	}

	// The LIMITs matter under concurrency: an UPDATE or DELETE scans ix_mix_items_batch as a
	// range and, without them, reads one entry past the batch and locks it; that entry is a
	// row of a concurrent transaction's batch, and the two deadlock (MariaDB error 1213 on
	// most requests at 10 concurrent clients). With them the scan stops at the batch's rows.
	// value is k, so value < 5 is the rows k = 0..4.
	if counts.Updated, err = execCount(ctx, tx,
		"UPDATE mix_items SET value = value + 1 WHERE batch = ? AND value < ? LIMIT ?",
		batch, mixBatchSize/2, mixBatchSize/2); err != nil {
		return mixCounts{}, fmt.Errorf("update: %w", err)
	}
	if counts.Deleted, err = execCount(ctx, tx,
		"DELETE FROM mix_items WHERE batch = ? LIMIT ?", batch, mixBatchSize); err != nil {
		return mixCounts{}, fmt.Errorf("delete: %w", err)
	}
	if err = tx.Commit(); err != nil {
		return mixCounts{}, fmt.Errorf("commit: %w", commitOutcome(ctx, err))
	}
	return counts, nil
}

// commitOutcome classifies the error of tx.Commit. The transaction did not commit when
// database/sql never sent COMMIT (ctx had ended: it answers ctx.Err(), or sql.ErrTxDone once
// it has rolled back), when the driver wrote nothing (driver.ErrBadConn), or when MariaDB
// answered with an error. Otherwise COMMIT was sent and its answer never came: the driver's
// readTimeout ran out (database/sql gives Commit no context) or the connection broke
// (mysql.ErrInvalidConn). MariaDB may have committed, so the error wraps errOutcomeUnknown.
func commitOutcome(ctx context.Context, err error) error {
	if errors.Is(err, sql.ErrTxDone) && ctx.Err() != nil {
		return ctx.Err() // say why it was rolled back
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		errors.Is(err, sql.ErrTxDone) || errors.Is(err, driver.ErrBadConn) {
		return err
	}
	if _, ok := errors.AsType[*mysql.MySQLError](err); ok {
		return err
	}
	return fmt.Errorf("%w: %w", errOutcomeUnknown, err)
}

// execCount runs a statement and returns the rows it affected.
func execCount(ctx context.Context, tx *sql.Tx, query string, args ...any) (int64, error) {
	result, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return result.RowsAffected()
}
