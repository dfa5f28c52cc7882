package eks

import (
	"regexp"
	"slices"
)

// instanceTypeRE splits "m7i.4xlarge" into class "m", generation "7", attributes "i" and size "4xlarge".
var instanceTypeRE = regexp.MustCompile(`^([a-z]+)(\d+)([a-z-]*)\.([0-9a-z]+)$`)

// spotSizes are the sizes every family of spotFamilies offers, per architecture (arm64 true): the
// Graviton generations 6 and 7 stop at 16xlarge.
var spotSizes = map[bool][]string{
	false: {"large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge"},
	true:  {"large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"},
}

// spotFamilies are interchangeable families by class and architecture: the same vCPU and memory per
// size, so pods fit on any of them. Spot capacity is reclaimed per instance pool, so several pools
// make interruptions and unavailable capacity much rarer.
var spotFamilies = map[string]map[bool][]string{
	"m": {false: {"m7i", "m6i", "m7a", "m6a", "m5"}, true: {"m7g", "m6g", "m8g"}},
	"c": {false: {"c7i", "c6i", "c7a", "c6a"}, true: {"c7g", "c6g", "c8g"}},
	"r": {false: {"r7i", "r6i", "r7a", "r6a", "r5"}, true: {"r7g", "r6g", "r8g"}},
}

// instanceTypes returns the node group's instance types: the machine type alone on demand; on spot,
// the machine type first, then the same size of the interchangeable families of its class and
// architecture. An unknown family or size gets the machine type alone.
func instanceTypes(machineType string, spot bool) []string {
	out := []string{machineType}
	m := instanceTypeRE.FindStringSubmatch(machineType)
	if !spot || m == nil {
		return out
	}
	arm := isGraviton(machineType)
	families, ok := spotFamilies[m[1]]
	if !ok || !slices.Contains(spotSizes[arm], m[4]) {
		return out
	}
	for _, f := range families[arm] {
		if t := f + "." + m[4]; t != machineType {
			out = append(out, t)
		}
	}
	return out
}

// isGraviton reports whether an instance type is arm64: its attribute letters contain "g"
// (m7g, c7gn, r6gd), unlike the GPU families whose class starts with "g" (g5).
func isGraviton(machineType string) bool {
	m := instanceTypeRE.FindStringSubmatch(machineType)
	return m != nil && slices.Contains([]byte(m[3]), 'g')
}

// amiType picks the EKS-optimised Amazon Linux 2023 image for the instance's architecture (AL2 has
// no images for Kubernetes 1.33 and later).
func amiType(machineType string) string {
	if isGraviton(machineType) {
		return "AL2023_ARM_64_STANDARD"
	}
	return "AL2023_x86_64_STANDARD"
}
