package driver_test

import (
	"fmt"

	"github.com/surgews/surge/bench/internal/driver"
)

func ExamplePlan() {
	for _, sc := range driver.Plan(driver.Options{}) {
		fmt.Println(sc.Name, sc.Kind, sc.Conns, sc.Size, sc.Depth, sc.Rate)
	}
	// Output:
	// echo-1k-64-d1 echo 1000 64 1 0
	// echo-1k-64-d8 echo 1000 64 8 0
	// echo-10k-1k-d1 echo 10000 1024 1 0
	// echo-10k-1k-d8 echo 10000 1024 8 0
	// echo-100-16k-d1 echo 100 16384 1 0
	// echo-100-16k-d8 echo 100 16384 8 0
	// rate-1k-64-60 rate 1000 64 0 60
	// rate-10k-1k-5 rate 10000 1024 0 5
	// rate-100-16k-300 rate 100 16384 0 300
	// idle-19k idle 19000 64 0 0
}
