package main

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
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

func (p *Postgres) InsertDevice(ctx context.Context, id uuid.UUID, mac, firmware string, at time.Time) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, dbTimeout)
	defer cancel()
	var rowID int64
	err := p.pool.QueryRow(ctx,
		`INSERT INTO devices (uuid, mac, firmware, created_at, updated_at)
		 VALUES ($1, $2, $3, $4, $4) RETURNING id`,
		id, mac, firmware, at,
	).Scan(&rowID)
	return rowID, err
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
