package policies

import "testing"

func TestResourceLimits(t *testing.T) {
	labels := M{"app": "x"}
	good := podTemplate(labels, container("app", false))
	bare := podTemplate(labels, container("app", true))
	workloads := []struct {
		typ  string
		spec func(tpl M) M
	}{
		{K8sDeployment, func(tpl M) M { return M{"spec": M{"replicas": 2, "template": tpl}} }},
		{K8sStatefulSet, func(tpl M) M { return M{"spec": M{"replicas": 1, "template": tpl}} }},
		{K8sDaemonSet, func(tpl M) M { return M{"spec": M{"template": tpl}} }},
		{K8sReplicaSet, func(tpl M) M { return M{"spec": M{"template": tpl}} }},
		{K8sJob, func(tpl M) M { return M{"spec": M{"template": tpl}} }},
		{K8sCronJob, func(tpl M) M {
			return M{"spec": M{"schedule": "0 * * * *", "jobTemplate": M{"spec": M{"template": tpl}}}}
		}},
		{K8sPod, func(tpl M) M { return M{"spec": tpl["spec"]} }},
		{CNPGPooler, func(tpl M) M { return M{"spec": M{"cluster": M{"name": "pg"}, "template": tpl}} }},
		{ECKKibana, func(tpl M) M { return M{"spec": M{"podTemplate": tpl}} }},
	}
	var cases []tc
	for _, w := range workloads {
		cases = append(cases,
			tc{name: w.typ + " with resources", rs: []Resource{res(w.typ, "w", w.spec(good))}},
			tc{name: w.typ + " without resources", rs: []Resource{res(w.typ, "w", w.spec(bare))},
				want: `container "app" has no resources.requests.cpu, resources.requests.memory and resources.limits.memory`},
		)
	}
	initNoLimit := podTemplate(labels, container("app", false))
	initNoLimit["spec"].(M)["initContainers"] = A{M{"name": "init", "resources": M{"requests": M{"cpu": "10m", "memory": "16Mi"}}}}
	cases = append(cases,
		tc{name: "init container without memory limit", rs: []Resource{res(K8sDeployment, "w", M{"spec": M{"template": initNoLimit}})},
			want: `container "init" has no resources.limits.memory`},
		tc{name: "pooler without template", rs: []Resource{res(CNPGPooler, "pool", M{"spec": M{"cluster": M{"name": "pg"}}})},
			want: "declares no containers"},
		tc{name: "cnpg cluster with resources", rs: []Resource{res(CNPGCluster, "pg", M{"spec": M{"instances": 3,
			"resources": M{"requests": M{"cpu": "1", "memory": "2Gi"}, "limits": M{"memory": "2Gi"}}}})}},
		tc{name: "cnpg cluster without resources", rs: []Resource{res(CNPGCluster, "pg", M{"spec": M{"instances": 3}})},
			want: "spec.resources has no resources.requests.cpu"},
		tc{name: "elasticsearch with resources", rs: []Resource{res(ECKElasticsearch, "es", M{"spec": M{"nodeSets": A{
			M{"name": "masters", "count": 3, "podTemplate": podTemplate(labels, container("elasticsearch", false))}}}})}},
		tc{name: "elasticsearch without resources", rs: []Resource{res(ECKElasticsearch, "es", M{"spec": M{"nodeSets": A{
			M{"name": "data", "count": 3, "podTemplate": podTemplate(labels, container("elasticsearch", true))}}}})},
			want: `nodeSets[0] "data" podTemplate container "elasticsearch" has no resources.requests.cpu`},
		tc{name: "elasticsearch nodeSet without podTemplate", rs: []Resource{res(ECKElasticsearch, "es", M{"spec": M{"nodeSets": A{
			M{"name": "data", "count": 3}}}})}, want: "declares no containers"},
		tc{name: "memory under prod cap", cfg: func(c *Config) { c.MaxMemoryLimitGiB = 2 },
			rs: []Resource{res(K8sDeployment, "w", M{"spec": M{"template": good}})}},
		tc{name: "memory over prod cap", cfg: func(c *Config) { c.MaxMemoryLimitGiB = 0.5 },
			rs:   []Resource{res(K8sDeployment, "w", M{"spec": M{"template": good}})},
			want: "memory limit 1Gi exceeds the stack's cap of 0.5Gi"},
		tc{name: "other types ignored", rs: []Resource{res(AWSRDSInstance, "db", M{})}},
		tc{name: "airbyte release with resources everywhere", rs: []Resource{res(K8sHelmRelease, "airbyte", airbyteRelease(""))}},
		tc{name: "airbyte release without the bootloader's", rs: []Resource{res(K8sHelmRelease, "airbyte", airbyteRelease("airbyteBootloader"))},
			want: `chart "airbyte" values airbyteBootloader.resources has no resources.requests.cpu`},
		tc{name: "airbyte release without the job pods'", rs: []Resource{res(K8sHelmRelease, "airbyte", airbyteRelease("global.jobs"))},
			want: `chart "airbyte" values global.jobs.resources has no resources.requests.cpu`},
		tc{name: "airbyte release over prod cap", cfg: func(c *Config) { c.MaxMemoryLimitGiB = 0.5 },
			rs:   []Resource{res(K8sHelmRelease, "airbyte", airbyteRelease(""))},
			want: "chart \"airbyte\" values server.resources memory limit 1Gi exceeds the stack's cap of 0.5Gi"},
		tc{name: "release of another chart ignored", rs: []Resource{res(K8sHelmRelease, "x", M{"chart": "other", "values": M{}})}},
	)
	runPolicy(t, "resource-limits", cases)
}

func TestParseQuantity(t *testing.T) {
	for in, want := range map[string]float64{"512Mi": 512 << 20, "1Gi": 1 << 30, "1G": 1e9, "250m": 0.25, "2": 2, "1.5Gi": 1.5 * (1 << 30)} {
		got, err := parseQuantity(in)
		if err != nil || got != want {
			t.Errorf("parseQuantity(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := parseQuantity("lots"); err == nil {
		t.Error("parseQuantity(lots) should fail")
	}
}

// airbyteRelease is a Release of the airbyte chart with every sized block set, except the one named
// by without (a dotted values path).
func airbyteRelease(without string) M {
	sized := func() M {
		return M{"resources": M{"requests": M{"cpu": "100m", "memory": "1Gi"}, "limits": M{"memory": "1Gi"}}}
	}
	values := M{"global": M{"jobs": sized()}}
	for _, k := range []string{"server", "worker", "workloadLauncher", "workloadApiServer", "temporal", "cron", "connectorBuilderServer", "airbyteBootloader"} {
		values[k] = sized()
	}
	switch without {
	case "":
	case "global.jobs":
		values["global"] = M{"jobs": M{}}
	default:
		values[without] = M{}
	}
	return M{"chart": "airbyte", "version": "2.0.19", "values": values}
}
