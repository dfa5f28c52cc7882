package config

// DefaultReflectionStaleHours is observability.reflectionStaleHours' default: Dremio's default
// policy refreshes a reflection every hour and expires it after three (dremio-oss@25.2.0
// services/accelerator/src/main/java/com/dremio/service/reflection/ReflectionSettingsImpl.java
// DEFAULT_REFRESH_PERIOD 1 h, DEFAULT_GRACE_PERIOD 3 h), so six hours is several missed refreshes in
// a row, not one slow one.
const DefaultReflectionStaleHours = 6

// reflectionStaleHours defaults and checks observability.reflectionStaleHours: how old a Dremio
// reflection's last refresh may be before DremioReflectionStale fires (every target).
func (v *validator) reflectionStaleHours() {
	o := &v.p.Observability
	if o.ReflectionStaleHours == 0 {
		o.ReflectionStaleHours = DefaultReflectionStaleHours
	}
	if o.ReflectionStaleHours < 1 || o.ReflectionStaleHours > 720 {
		v.add("observability.reflectionStaleHours", o.ReflectionStaleHours, "an integer number of hours from 1 to 720 (30 days)")
	}
}
