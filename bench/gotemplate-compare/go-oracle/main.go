// Command gotemplate-oracle renders every case of ../cases.json with Go's own
// text/template and the Docker CLI's template functions (docker/cli
// templates/templates.go), and prints the results as JSON: the reference
// that berth-gotemplate and the gotmpl adapter are compared against.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/template"
)

// Docker's basicFunctions.
var basicFunctions = template.FuncMap{
	"json": func(v interface{}) string {
		buf := &bytes.Buffer{}
		enc := json.NewEncoder(buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			panic(err)
		}
		return strings.TrimSpace(buf.String())
	},
	"split":    strings.Split,
	"join":     strings.Join,
	"title":    strings.Title, //nolint:staticcheck // what Docker uses
	"lower":    strings.ToLower,
	"upper":    strings.ToUpper,
	"pad":      padWithSpace,
	"truncate": truncateWithLength,
}

// Docker's HeaderFunctions: used when rendering table headers.
var headerFunctions = template.FuncMap{
	"json":     func(v string) string { return v },
	"split":    func(v string, _ string) string { return v },
	"join":     func(v string, _ string) string { return v },
	"title":    func(v string) string { return v },
	"lower":    func(v string) string { return v },
	"upper":    func(v string) string { return v },
	"truncate": func(v string, _ int) string { return v },
}

func padWithSpace(source string, prefix, suffix int) string {
	if source == "" {
		return source
	}
	return strings.Repeat(" ", prefix) + source + strings.Repeat(" ", suffix)
}

func truncateWithLength(source string, length int) string {
	if len(source) < length {
		return source
	}
	return source[:length]
}

type testCase struct {
	Name, Mode, Data, T string
}

// readCases reads cases.txt: `name ¦ mode ¦ data ¦ template` lines.
func readCases(path string) []testCase {
	raw, err := os.ReadFile(path)
	if err != nil {
		panic(err)
	}
	var cases []testCase
	for _, line := range strings.Split(string(raw), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.SplitN(line, " ¦ ", 4)
		if len(f) != 4 {
			panic("bad case line: " + line)
		}
		cases = append(cases, testCase{f[0], f[1], f[2], f[3]})
	}
	return cases
}

// typed turns decoded JSON into the Go values Docker's structs hold: integer
// numbers as int64 (uint64 above its range), other numbers as float64, string-only objects as
// map[string]string (labels), string-only arrays as []string.
func typed(v interface{}) interface{} {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		if u, err := strconv.ParseUint(string(x), 10, 64); err == nil {
			return u
		}
		f, _ := x.Float64()
		return f
	case []interface{}:
		allStr := len(x) > 0
		for _, e := range x {
			if _, ok := e.(string); !ok {
				allStr = false
			}
		}
		if allStr {
			out := make([]string, len(x))
			for i, e := range x {
				out[i] = e.(string)
			}
			return out
		}
		for i, e := range x {
			x[i] = typed(e)
		}
		return x
	case map[string]interface{}:
		allStr := len(x) > 0
		for _, e := range x {
			if _, ok := e.(string); !ok {
				allStr = false
			}
		}
		if allStr {
			out := make(map[string]string, len(x))
			for k, e := range x {
				out[k] = e.(string)
			}
			return out
		}
		for k, e := range x {
			x[k] = typed(e)
		}
		return x
	}
	return v
}

func unescape(s string) string {
	s = strings.ReplaceAll(s, `\t`, "\t")
	return strings.ReplaceAll(s, `\n`, "\n")
}

func run(c testCase, raw json.RawMessage) (out string) {
	defer func() {
		if r := recover(); r != nil {
			out = fmt.Sprintf("PANIC: %v", r)
		}
	}()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var data interface{}
	if err := dec.Decode(&data); err != nil {
		return "BAD CASE DATA: " + err.Error()
	}
	data = typed(data)
	text := c.T
	funcs := basicFunctions
	if c.Mode != "raw" && c.Mode != "strict" {
		text = unescape(text)
	}
	if c.Mode == "header" {
		funcs = headerFunctions
	}
	t := template.New("").Funcs(funcs)
	if c.Mode == "strict" {
		t = t.Option("missingkey=error")
	}
	t, err := t.Parse(text)
	if err != nil {
		return "template parsing error: " + err.Error()
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		if c.Mode == "header" {
			return buf.String()
		}
		return "template parsing error: " + err.Error()
	}
	return buf.String()
}

func main() {
	raw, err := os.ReadFile(os.Args[1])
	if err != nil {
		panic(err)
	}
	var datasets map[string]json.RawMessage
	if err := json.Unmarshal(raw, &datasets); err != nil {
		panic(err)
	}
	results := map[string]string{}
	for _, c := range readCases(os.Args[2]) {
		data, ok := datasets[c.Data]
		if !ok {
			data = json.RawMessage(c.Data)
		}
		if c.Data == "-" {
			data = json.RawMessage("null")
		}
		results[c.Name] = run(c, data)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(results); err != nil {
		panic(err)
	}
}
