package platform

import (
	"strings"
	"testing"

	"github.com/opendataplatform/dataplatform/components/observability"
)

// TestVolumesDashboard: valid, naming only the kubelet's volume statistics (which every target's
// cluster metrics declare), with a usage panel.
func TestVolumesDashboard(t *testing.T) {
	d := VolumesDashboard()
	s := observability.Spec{Dashboards: []observability.Dashboard{d}}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	if u := s.Undeclared(ClusterMetrics()...); len(u) > 0 {
		t.Errorf("metrics no source emits: %v", u)
	}
	if u := s.Undeclared(); len(u) == 0 {
		t.Error("the dashboard must read the kubelet's series (undeclared without ClusterMetrics)")
	}
	if d.UID != VolumesDashboardUID || !strings.Contains(d.Panels[0].Queries[0], "kubelet_volume_stats_available_bytes / kubelet_volume_stats_capacity_bytes") {
		t.Errorf("dashboard %s: want the used-fraction panel first", d.UID)
	}
}
