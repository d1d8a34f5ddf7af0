package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// dbTimeout bounds every database call, waiting for a pooled connection included, so that a
// dead database costs a request at most this long (the contract allows 3 s).
const dbTimeout = 3 * time.Second

// Postgres is the PostgreSQL pool. pgx prepares and caches each statement per connection.
type Postgres struct {
	pool *pgxpool.Pool
}

// openPostgres makes a pool of at most poolSize connections. It connects lazily.
func openPostgres(ctx context.Context, url string, poolSize int) (*Postgres, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	cfg.MaxConns = int32(poolSize)
	if cfg.ConnConfig.ConnectTimeout == 0 || cfg.ConnConfig.ConnectTimeout > dbTimeout {
		cfg.ConnConfig.ConnectTimeout = dbTimeout
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres pool: %w", err)
	}
	return &Postgres{pool: pool}, nil
}

func (p *Postgres) Close() { p.pool.Close() }

func (p *Postgres) Ping(ctx context.Context) error { return p.pool.Ping(ctx) }

func (p *Postgres) PoolStats() (size, inUse int) {
	stat := p.pool.Stat()
	return int(stat.MaxConns()), int(stat.AcquiredConns())
}

// insertDeviceSQL inserts a device sent without an Idempotency-Key: the benchmark's load.
const insertDeviceSQL = `INSERT INTO devices (uuid, mac, firmware, created_at, updated_at)
	VALUES ($1, $2, $3, $4, $4) RETURNING id`

// insertKeyedDeviceSQL inserts a device under its Idempotency-Key, or nothing (no row
// returned) when a device already has the key. A concurrent insert of the same key makes it
// wait until that one commits or rolls back.
const insertKeyedDeviceSQL = `INSERT INTO devices (uuid, mac, firmware, created_at, updated_at, idempotency_key)
	VALUES ($1, $2, $3, $4, $4, $5)
	ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
	RETURNING id`

// selectKeyedDeviceSQL reads the device stored under an Idempotency-Key.
const selectKeyedDeviceSQL = `SELECT id, uuid, mac, firmware, created_at, updated_at
	FROM devices WHERE idempotency_key = $1`

// InsertDevice stores a new device and returns its id. An error wraps errOutcomeUnknown when
// the row may have been written all the same.
func (p *Postgres) InsertDevice(ctx context.Context, id uuid.UUID, mac, firmware string, at time.Time) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, dbTimeout)
	defer cancel()
	conn, err := p.acquirePrepared(ctx, insertDeviceSQL)
	if err != nil {
		return 0, err
	}
	defer conn.Release()
	var rowID int64
	err = conn.QueryRow(ctx, insertDeviceSQL, id, mac, firmware, at).Scan(&rowID)
	return rowID, writeOutcome(err)
}

// InsertDeviceOnce stores a new device under key unless a device already has that key, and
// returns the device stored under key: the new one (created is true) or the earlier one. An
// error wraps errOutcomeUnknown when the row may have been written all the same.
func (p *Postgres) InsertDeviceOnce(ctx context.Context, key string, id uuid.UUID, mac, firmware string, at time.Time) (stored device, created bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, dbTimeout)
	defer cancel()
	conn, err := p.acquirePrepared(ctx, insertKeyedDeviceSQL, selectKeyedDeviceSQL)
	if err != nil {
		return device{}, false, err
	}
	defer conn.Release()

	var rowID int64
	err = conn.QueryRow(ctx, insertKeyedDeviceSQL, id, mac, firmware, at, key).Scan(&rowID)
	if err == nil {
		stamp := at.UTC().Format(deviceTimeLayout)
		return device{rowID, id.String(), mac, firmware, stamp, stamp}, true, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return device{}, false, writeOutcome(err)
	}

	// The key was taken: by a committed row, or by a concurrent insert that this one waited
	// for. A new statement takes a new snapshot, which sees that row. From here on this
	// request has written nothing, so a failure is a plain one.
	var createdAt, updatedAt time.Time
	err = conn.QueryRow(ctx, selectKeyedDeviceSQL, key).
		Scan(&stored.ID, &stored.UUID, &stored.MAC, &stored.Firmware, &createdAt, &updatedAt)
	if err != nil {
		return device{}, false, fmt.Errorf("device with idempotency key: %w", err)
	}
	stored.CreatedAt = createdAt.UTC().Format(deviceTimeLayout)
	stored.UpdatedAt = updatedAt.UTC().Format(deviceTimeLayout)
	return stored, false, nil
}

// acquirePrepared takes a pooled connection and prepares the statements on it (pgx keeps
// them per connection, so this is a round trip only on a connection's first use). Every
// failure up to here wrote nothing: waiting for the pool, connecting, parsing. Only running a
// writing statement can leave its outcome unknown.
func (p *Postgres) acquirePrepared(ctx context.Context, statements ...string) (*pgxpool.Conn, error) {
	conn, err := p.pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	for _, sql := range statements {
		if _, err := conn.Conn().Prepare(ctx, sql, sql); err != nil {
			conn.Release()
			return nil, err
		}
	}
	return conn, nil
}

// writeOutcome classifies the error of a writing statement run in autocommit. The write did
// not happen when PostgreSQL answered with an error (it rolled the statement back:
// statement_timeout, a read-only server, a terminated backend) or when pgx knows it sent
// nothing (pgconn.SafeToRetry: the context had already ended, the connection was already
// closed). Any other error struck after the statement may have reached the server: the
// deadline fired, or the connection broke, before the answer came. pgx then closes the
// connection and sends a cancel request, which may arrive too late: PostgreSQL may still
// commit the row, so the error wraps errOutcomeUnknown.
func writeOutcome(err error) error {
	if err == nil || pgconn.SafeToRetry(err) {
		return err
	}
	if _, ok := errors.AsType[*pgconn.PgError](err); ok {
		return err
	}
	return fmt.Errorf("%w: %w", errOutcomeUnknown, err)
}

func (p *Postgres) ListUsers(ctx context.Context, after, limit int) ([]user, error) {
	ctx, cancel := context.WithTimeout(ctx, dbTimeout)
	defer cancel()
	rows, err := p.pool.Query(ctx,
		`SELECT user_id, username, email, created_at FROM users
		 WHERE user_id > $1 ORDER BY user_id LIMIT $2`,
		after, limit,
	)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	users := make([]user, 0, limit)
	for rows.Next() {
		var u user
		var createdAt time.Time
		if err := rows.Scan(&u.UserID, &u.Username, &u.Email, &createdAt); err != nil {
			return nil, err
		}
		u.CreatedAt = createdAt.UTC().Format(userTimeLayout)
		users = append(users, u)
	}
	return users, rows.Err()
}
