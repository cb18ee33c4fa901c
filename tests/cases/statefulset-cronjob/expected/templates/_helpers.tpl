{{/*
Chart name, truncated to 63 characters (the DNS label limit).
*/}}
{{- define "statefulset-cronjob.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Chart name and version, as used by the helm.sh/chart label.
*/}}
{{- define "statefulset-cronjob.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Container image reference from repository, tag and optional digest, as a JSON string.
*/}}
{{- define "statefulset-cronjob.image" -}}
{{- $ref := .repository -}}
{{- with .tag }}{{ $ref = printf "%s:%v" $ref . }}{{ end -}}
{{- with .digest }}{{ $ref = printf "%s@%s" $ref . }}{{ end -}}
{{- $ref | toJson -}}
{{- end -}}

