package driver_test

import (
	"fmt"

	"github.com/surgews/surge/bench/internal/driver"
)

func ExamplePlan() {
	for _, sc := range driver.Plan(driver.Options{}) {
		fmt.Println(sc.Name, sc.Kind, sc.Conns, sc.Size, sc.Rate)
	}
	// Output:
	// echo-1k-512 echo 1000 512 0
	// echo-1k-1k echo 1000 1024 0
	// echo-1k-16k echo 1000 16384 0
	// echo-10k-512 echo 10000 512 0
	// echo-10k-1k echo 10000 1024 0
	// echo-10k-16k echo 10000 16384 0
	// rate-10k-1k-5 rate 10000 1024 5
	// idle-19k idle 19000 64 0
}
