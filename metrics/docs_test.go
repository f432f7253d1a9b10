package metrics_test

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/surgews/surge/metrics"
	"github.com/surgews/surge/stats"
)

// described returns the names of the metrics the collector describes.
func described(t *testing.T) map[string]bool {
	t.Helper()
	ch := make(chan *prometheus.Desc, 64)
	metrics.NewCollector(func() stats.Snapshot { return stats.Snapshot{} }, nil).Describe(ch)
	close(ch)
	re := regexp.MustCompile(`fqName: "([a-z_]+)"`)
	names := map[string]bool{}
	for d := range ch {
		m := re.FindStringSubmatch(d.String())
		if m == nil {
			t.Fatalf("cannot read the name of %v", d)
		}
		names[m[1]] = true
	}
	return names
}

// TestOperationsDocListsEveryMetric: docs/operations.md has a row for each
// metric, and no row for a metric that does not exist.
func TestOperationsDocListsEveryMetric(t *testing.T) {
	doc, err := os.ReadFile("../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	names := described(t)
	rows := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `(surge_[a-z_]+)` \\|").FindAllStringSubmatch(string(doc), -1) {
		rows[m[1]] = true
	}
	for n := range names {
		if !rows[n] {
			t.Errorf("docs/operations.md has no row for %s", n)
		}
	}
	for n := range rows {
		if !names[n] {
			t.Errorf("docs/operations.md describes %s, which the collector does not have", n)
		}
	}
}

// TestDashboardUsesKnownMetrics: the Grafana dashboard is valid JSON and
// every metric its queries name exists.
func TestDashboardUsesKnownMetrics(t *testing.T) {
	b, err := os.ReadFile("../docs/grafana-surge.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatal(err)
	}
	names := described(t)
	used := 0
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			for _, n := range regexp.MustCompile(`surge_[a-z_]+`).FindAllString(tg.Expr, -1) {
				used++
				if !names[n] && !names[strings.TrimSuffix(n, "_")] {
					t.Errorf("panel %q queries %s, which does not exist", p.Title, n)
				}
			}
		}
	}
	if used == 0 {
		t.Fatal("the dashboard queries no surge metric")
	}
}
