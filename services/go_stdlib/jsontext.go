package main

import (
	"errors"
	"strconv"
	"unicode/utf8"
)

// checkUTF8 refuses a JSON text that is not UTF-8 (RFC 8259, section 8.1), or that escapes a
// UTF-16 surrogate outside a pair ("\ud800"): no string holds such a code point. encoding/json
// accepts both and silently turns them into U+FFFD, so the service would store what the
// client did not send.
func checkUTF8(data []byte) error {
	if !utf8.Valid(data) {
		return errors.New("body is not valid UTF-8")
	}
	if hasLoneSurrogate(data) {
		return errors.New(`body escapes a lone UTF-16 surrogate, such as "\ud800"`)
	}
	return nil
}

// UTF-16 surrogates: a high one, then a low one, encode one code point beyond U+FFFF.
const (
	highSurrogateFirst = 0xD800
	lowSurrogateFirst  = 0xDC00
	lowSurrogateLast   = 0xDFFF
)

// hasLoneSurrogate reports whether data has a \u escape of a high surrogate not followed by
// a \u escape of a low one, or of a low one not preceded by a high one. Every escape is
// skipped whole, so the "\\" of "\\ud800" (a backslash, then "ud800") starts no escape.
// Backslashes outside strings make the text invalid JSON, which the decoder reports.
func hasLoneSurrogate(data []byte) bool {
	for i := 0; i < len(data); i++ {
		if data[i] != '\\' {
			continue
		}
		r, ok := unicodeEscape(data[i:])
		switch {
		case !ok:
			i++ // a one-character escape: \\, \", \n, ...
		case r < highSurrogateFirst || r > lowSurrogateLast:
			i += 5
		case r >= lowSurrogateFirst:
			return true
		default:
			low, ok := unicodeEscape(data[i+6:])
			if !ok || low < lowSurrogateFirst || low > lowSurrogateLast {
				return true
			}
			i += 11
		}
	}
	return false
}

// unicodeEscape decodes the \uXXXX escape at the start of b, if there is one.
func unicodeEscape(b []byte) (rune, bool) {
	if len(b) < 6 || b[0] != '\\' || b[1] != 'u' {
		return 0, false
	}
	n, err := strconv.ParseUint(string(b[2:6]), 16, 16)
	return rune(n), err == nil
}
