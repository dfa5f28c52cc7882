package superset

// The metadata database's connection budget. Every Superset process holds its own SQLAlchemy
// QueuePool on the metadata database (Flask-SQLAlchemy creates the engine with
// SQLALCHEMY_ENGINE_OPTIONS; without bounds SQLAlchemy's QueuePool defaults, pool_size 5 +
// max_overflow 10, apply per process, and gunicorn's 20 gthread threads fill them). The rendered
// superset_config.py reads the bounds from PoolSizeEnv and MaxOverflowEnv, which each container
// gets from poolBounds(processes of its role), so a pod never opens more than
// DatabaseConnectionsPerPod connections; the in-cluster PostgreSQL is sized for DatabasePods such
// pods (stacks dbClients, cnpg.Clients.SupersetPods × the same 20 per pod).
const (
	// DatabaseConnectionsPerPod is the most metadata database connections one Superset pod opens.
	DatabaseConnectionsPerPod = 20
	// PoolSizeEnv and MaxOverflowEnv carry a container's SQLAlchemy pool bounds.
	PoolSizeEnv    = "DATABASE_POOL_SIZE"
	MaxOverflowEnv = "DATABASE_MAX_OVERFLOW"
	// maxProcesses caps the database-using processes of a pod, so each keeps ≥ 2 connections.
	maxProcesses = DatabaseConnectionsPerPod / 2
)

// webProcesses is gunicorn's worker count (SERVER_WORKER_AMOUNT): two per CPU, 1..maxProcesses.
func webProcesses(cpu float64) int { return min(maxProcesses, max(1, int(cpu*2))) }

// workerConcurrency is the Celery worker's prefork children (-c): two per CPU, leaving room for
// the parent process, which loads the app too.
func workerConcurrency(cpu float64) int { return min(maxProcesses-1, max(1, int(cpu*2))) }

// processes counts the processes of a role's pod that open metadata database connections.
func processes(role string, a *SupersetArgs) int {
	switch role {
	case roleWeb:
		return webProcesses(a.Web.CPU)
	case roleWorker:
		return workerConcurrency(a.Worker.CPU) + 1
	default: // the beat and the init Job: one process
		return 1
	}
}

// poolBounds splits a pod's DatabaseConnectionsPerPod over its processes: pool_size connections
// kept, max_overflow more opened under load and closed when returned.
func poolBounds(processes int) (size, overflow int) {
	per := DatabaseConnectionsPerPod / max(1, processes)
	size = (per + 1) / 2
	return size, per - size
}

// DatabasePods is the most Superset pods with metadata database connections at once: the web HPA's
// ceiling and the workers, each with one surge pod during a rollout (maxSurge 1), the beat and the
// init Job.
func DatabasePods(webMaxReplicas, workerReplicas int) int {
	return webMaxReplicas + 1 + workerReplicas + 1 + 1 + 1
}
