package metrics_test

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/metrics"
)

// A server's statistics, registered with Prometheus. An application serves
// them with promhttp.Handler on its metrics address.
func ExampleNewCollector() {
	srv := engine.New(engine.Config{})
	reg := prometheus.NewRegistry()
	reg.MustRegister(metrics.NewCollector(srv.Stats, prometheus.Labels{"role": "server"}))
	// http.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))

	n, _ := testutil.GatherAndCount(reg, "surge_connections")
	fmt.Println("series of surge_connections:", n)
	// Output:
	// series of surge_connections: 1
}
