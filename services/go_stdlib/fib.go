package main

import "net/http"

// handleFib answers F(n) for n in 0..35, computed by the naive double recursion on every
// request: this is the benchmark's CPU-bound endpoint.
func handleFib() http.Handler {
	type response struct {
		N         int `json:"n"`
		Fibonacci int `json:"fibonacci"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := intInRange("n", r.PathValue("n"), 0, 35)
		if err != nil {
			writeRequestError(w, err)
			return
		}
		encode(w, http.StatusOK, response{n, fib(n)}) //nolint:errcheck // ints always encode
	})
}

// fib is deliberately exponential: no memo, no loop, no closed form.
func fib(n int) int {
	if n < 2 {
		return n
	}
	return fib(n-1) + fib(n-2)
}
