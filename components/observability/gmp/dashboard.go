package gmp

import (
	"encoding/json"
	"fmt"

	"github.com/opendataplatform/dataplatform/components/observability"
)

// Dashboard layout: a mosaic of 48 columns, two panels per row (Cloud Monitoring Dashboards API v1,
// MosaicLayout {columns ≤ 48, tiles[] {xPos, yPos, width, height, widget}}).
const (
	gridColumns = 48
	tileWidth   = 24
	tileHeight  = 16
)

// units maps the model's (Grafana's) unit ids to Cloud Monitoring's unit strings (the UCUM subset of
// MetricDescriptor.unit: "1", "s", "By/s", "1/s", and "10^2.%" for a 0–1 ratio shown as a percent).
var units = map[string]string{
	"short": "1", "percentunit": "10^2.%", "s": "s", "Bps": "By/s", "reqps": "1/s", "ops": "1/s",
}

// DashboardJSON renders a model dashboard as a Cloud Monitoring dashboard (the body of
// gcp.monitoring.Dashboard.dashboardJson, pulumi-gcp@v7.38.0 monitoring/dashboard.go): each
// timeseries panel an xyChart of line data sets, each stat panel one scorecard per query, every query
// a PromQL one (TimeSeriesQuery.prometheusQuery). prefix goes before the title.
func DashboardJSON(prefix string, d observability.Dashboard) (string, error) {
	tiles := []map[string]any{}
	for i, p := range d.Panels {
		if p.Unit == "" {
			p.Unit = "short"
		}
		unit, ok := units[p.Unit]
		if !ok {
			return "", fmt.Errorf("gmp: dashboard %s panel %q: unit %q has no Cloud Monitoring equivalent (one of short, percentunit, s, Bps, reqps, ops)", d.UID, p.Title, p.Unit)
		}
		x, y := (i%2)*tileWidth, (i/2)*tileHeight
		query := func(q string) map[string]any { return map[string]any{"prometheusQuery": q, "unitOverride": unit} }
		if p.Kind == observability.Stat {
			w := tileWidth / len(p.Queries)
			for j, q := range p.Queries {
				title := p.Title
				if len(p.Queries) > 1 {
					title = fmt.Sprintf("%s (%d/%d)", p.Title, j+1, len(p.Queries))
				}
				tiles = append(tiles, map[string]any{
					"xPos": x + j*w, "yPos": y, "width": w, "height": tileHeight,
					"widget": map[string]any{"title": title, "scorecard": map[string]any{"timeSeriesQuery": query(q)}},
				})
			}
			continue
		}
		sets := []map[string]any{}
		for _, q := range p.Queries {
			sets = append(sets, map[string]any{"timeSeriesQuery": query(q), "plotType": "LINE"})
		}
		tiles = append(tiles, map[string]any{
			"xPos": x, "yPos": y, "width": tileWidth, "height": tileHeight,
			"widget": map[string]any{"title": p.Title, "xyChart": map[string]any{"dataSets": sets}},
		})
	}
	b, err := json.Marshal(map[string]any{
		"displayName":  prefix + ": " + d.Title,
		"mosaicLayout": map[string]any{"columns": gridColumns, "tiles": tiles},
	})
	return string(b), err
}
