package platform

import "github.com/opendataplatform/dataplatform/components/observability"

// VolumesDashboardUID is the uid of VolumesDashboard.
const VolumesDashboardUID = "dataplatform-volumes"

// VolumesDashboard is the usage of every persistent volume, from the kubelet's volume statistics
// (kubernetes pkg/kubelet/metrics/collectors/volume_stats.go: kubelet_volume_stats_available_bytes
// and kubelet_volume_stats_capacity_bytes, labelled namespace and persistentvolumeclaim) — the series
// the VolumeFillingUp rule reads. Every target scrapes them (ClusterMetrics here; the AMP collector's
// kubelet job, amp.KubeletMetrics).
func VolumesDashboard() observability.Dashboard {
	by := "max by (namespace, persistentvolumeclaim) "
	return observability.Dashboard{UID: VolumesDashboardUID, Title: "Data platform / Volumes", Panels: []observability.Panel{
		{Title: "Volume used", Unit: "percentunit", Kind: observability.TimeSeries, Queries: []string{
			by + `(1 - kubelet_volume_stats_available_bytes / kubelet_volume_stats_capacity_bytes)`,
		}},
		{Title: "Volume free", Unit: "bytes", Kind: observability.TimeSeries, Queries: []string{
			by + `(kubelet_volume_stats_available_bytes)`,
		}},
		{Title: "Fullest volume", Unit: "percentunit", Kind: observability.Stat, Queries: []string{
			`max(1 - kubelet_volume_stats_available_bytes / kubelet_volume_stats_capacity_bytes)`,
		}},
	}}
}
