package config

import "fmt"

// KeySuperset is Superset's configuration object (`dataplatform:superset`).
const KeySuperset = "superset"

// DefaultValkeyImage is the cache and broker image (valkey-io/valkey-container versions.json: the
// 8.1 line at 8.1.8, alpine).
const DefaultValkeyImage = "valkey/valkey:8.1.8-alpine"

// Superset configures Apache Superset (`dataplatform:superset`), off by default: it runs an image
// the user builds from images/superset/Dockerfile and pushes (docs/superset.md), which no default
// can name before it exists.
type Superset struct {
	// Enabled deploys Superset. Default false.
	Enabled bool `json:"enabled"`
	// Image is the derived image (images/superset/Dockerfile) pinned by tag or digest, e.g.
	// <registry>/dataplatform/superset:6.1.0-1. Required when Enabled.
	Image string `json:"image"`
	// ValkeyImage is the in-cluster Valkey (cache, results, Celery broker). Default DefaultValkeyImage.
	ValkeyImage string `json:"valkeyImage"`
	// WebReplicas is the web Deployment's minimum (default 2 in prod, 1 elsewhere; prod needs ≥ 2);
	// WebMaxReplicas its HPA ceiling (default 6 in prod, WebReplicas elsewhere: no HPA).
	WebReplicas    int `json:"webReplicas"`
	WebMaxReplicas int `json:"webMaxReplicas"`
	// WorkerReplicas is the number of Celery workers (default 2 in prod, 1 elsewhere). The beat is
	// always exactly one.
	WorkerReplicas int `json:"workerReplicas"`
	// Web and Worker size each container (default 1 CPU / 2 GiB; prod 2 CPU / 4 GiB).
	Web    Compute `json:"web"`
	Worker Compute `json:"worker"`
	// SecretKeyGeneration rotates SUPERSET_SECRET_KEY when raised by one (default 1, at most
	// MaxSupersetSecretKeyGeneration): see docs/superset.md, "Rotating the secret key". Only +1 is a
	// rotation; every generation's key is kept, and Superset's init Job refuses a generation whose
	// keys do not open the stored secrets (a jump or a step back), so setting it back repairs it.
	// A decrease cannot be refused here: the previous value is not in the configuration.
	SecretKeyGeneration int `json:"secretKeyGeneration"`
}

// supersetDefaults fills what the stack left unset.
func (p *Platform) supersetDefaults() {
	s := &p.Superset
	prod := p.Environment == Prod
	if s.ValkeyImage == "" {
		s.ValkeyImage = DefaultValkeyImage
	}
	if s.WebReplicas == 0 {
		s.WebReplicas = 1
		if prod {
			s.WebReplicas = 2
		}
	}
	if s.WebMaxReplicas == 0 {
		s.WebMaxReplicas = s.WebReplicas
		if prod {
			s.WebMaxReplicas = max(6, s.WebReplicas)
		}
	}
	if s.WorkerReplicas == 0 {
		s.WorkerReplicas = 1
		if prod {
			s.WorkerReplicas = 2
		}
	}
	size := Compute{CPU: 1, MemoryGiB: 2}
	if prod {
		size = Compute{CPU: 2, MemoryGiB: 4}
	}
	if s.Web == (Compute{}) {
		s.Web = size
	}
	if s.Worker == (Compute{}) {
		s.Worker = size
	}
	if s.SecretKeyGeneration == 0 {
		s.SecretKeyGeneration = 1
	}
}

// superset validates Superset's keys; nothing is checked while it is off.
func (v *validator) superset() {
	p := v.p
	p.supersetDefaults()
	s := p.Superset
	if !s.Enabled {
		return
	}
	k := KeySuperset + "."
	if s.Image == "" {
		v.add(k+"image", "", "the image built from images/superset/Dockerfile and pushed to a registry the cluster pulls from, pinned by tag or digest (e.g. %s), or set superset.enabled=false", supersetImageExample(p))
	} else {
		v.pinnedImage(k+"image", s.Image)
	}
	v.pinnedImage(k+"valkeyImage", s.ValkeyImage)
	v.atLeast(k+"webReplicas", s.WebReplicas, 1, "")
	v.prodFloor(k+"webReplicas", s.WebReplicas, 2)
	if s.WebMaxReplicas < s.WebReplicas {
		v.add(k+"webMaxReplicas", s.WebMaxReplicas, "an integer ≥ webReplicas (%d)", s.WebReplicas)
	}
	v.atLeast(k+"workerReplicas", s.WorkerReplicas, 1, "")
	for name, c := range map[string]Compute{"web": s.Web, "worker": s.Worker} {
		if c.CPU < 0.25 || c.MemoryGiB < 1 {
			v.add(k+name, fmt.Sprintf("%v CPU / %v GiB", c.CPU, c.MemoryGiB), "at least 0.25 CPU and 1 GiB: gunicorn and Celery load the whole application")
		}
	}
	v.atLeast(k+"secretKeyGeneration", s.SecretKeyGeneration, 1, "")
	if s.SecretKeyGeneration > MaxSupersetSecretKeyGeneration {
		v.add(k+"secretKeyGeneration", s.SecretKeyGeneration, "an integer ≤ %d, raised by one to rotate the key (every generation's key is kept)", MaxSupersetSecretKeyGeneration)
	}
}

// MaxSupersetSecretKeyGeneration bounds superset.secretKeyGeneration (components/superset
// MaxSecretKeyGeneration: each generation's key stays registered).
const MaxSupersetSecretKeyGeneration = 100

// supersetImageExample names where the image would live in the platform's registry.
func supersetImageExample(p *Platform) string {
	if p.Cloud == Kubernetes && p.Dbt.Registry != "" {
		return p.Dbt.Registry + "/dataplatform/superset:6.1.0-1"
	}
	return "<registry>/dataplatform/superset:6.1.0-1"
}
