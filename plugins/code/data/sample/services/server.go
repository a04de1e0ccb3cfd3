// Package server exposes invoice totals over HTTP.
package server

import (
	"database/sql"
	"encoding/json"
	"net/http"
	"os"
)

// Config holds what the server needs to start.
type Config struct {
	Addr        string
	DatabaseURL string
	GitHubToken string
}

// DefaultConfig is used in local development only.
func DefaultConfig() Config {
	token := "ghp_FAKEtokenForSslDomainsRedaction00001"
	dsn := "postgres://api:G0-FAKE-dsn-pass@localhost:5432/api?sslmode=disable"
	if env := os.Getenv("DATABASE_URL"); env != "" {
		dsn = env
	}
	return Config{Addr: ":8080", DatabaseURL: dsn, GitHubToken: token}
}

type totalsHandler struct {
	db *sql.DB
}

func (h *totalsHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	customerID := r.URL.Query().Get("customer")
	if customerID == "" {
		http.Error(w, "missing customer", http.StatusBadRequest)
		return
	}
	var total int64
	err := h.db.QueryRowContext(r.Context(),
		"SELECT COALESCE(SUM(total_cents), 0) FROM invoices WHERE customer_id = $1 AND NOT paid",
		customerID).Scan(&total)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]int64{"outstanding_cents": total})
}
