package main

import "testing"

func TestCheckUTF8(t *testing.T) {
	for body, ok := range map[string]bool{
		`{"firmware":"1.0"}`:                  true,
		`{"firmware":"é €"}`:                  true,
		`{"firmware":"\u00e9"}`:               true,
		`{"firmware":"\ud83d\ude00"}`:         true, // a pair: U+1F600
		`{"firmware":"\uD83D\uDE00"}`:         true,
		`{"firmware":"\ufffd"}`:               true, // U+FFFD itself, escaped
		"{\"firmware\":\"\xef\xbf\xbd\"}":     true, // and raw
		`{"firmware":"\\ud800"}`:              true, // a backslash, then "ud800"
		`{"firmware":"\\\ud83d\ude00"}`:       true,
		`{"firmware":"\"\ud83d\ude00"}`:       true,
		`{"firmware":"\ud800"}`:               false,
		`{"firmware":"\udc00"}`:               false,
		`{"firmware":"\ud800x"}`:              false,
		`{"firmware":"\ud800\u0041"}`:         false,
		`{"firmware":"\ud800\ud800"}`:         false,
		`{"firmware":"\ude00\ud83d"}`:         false,
		`{"firmware":"\\\ud800"}`:             false,
		`{"firmware":"1","x":"\udfff"}`:       false,
		`{"firmware":"\ud800`:                 false, // cut short
		"{\"firmware\":\"\xff\"}":             false,
		"{\"firmware\":\"\xc0\xaf\"}":         false, // overlong "/"
		"{\"firmware\":\"\xed\xa0\x80\"}":     false, // a surrogate encoded in UTF-8
		"{\"firmware\":\"1.0\xe2\x82\"}":      false, // truncated sequence
		"\xff\xfe{\x00\"\x00a\x00\"\x00}\x00": false, // UTF-16
	} {
		if err := checkUTF8([]byte(body)); (err == nil) != ok {
			t.Errorf("checkUTF8(%q) = %v, want ok %v", body, err, ok)
		}
	}
}
