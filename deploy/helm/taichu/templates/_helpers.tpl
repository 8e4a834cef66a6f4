{{- define "taichu.name" -}}{{ .Release.Name }}-taichu{{- end -}}

{{- define "taichu.labels" -}}
app.kubernetes.io/name: taichu
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}

{{- define "taichu.secret" -}}{{ .Values.existingSecret | default (include "taichu.name" .) }}{{- end -}}

{{/* What every taichu process reads: secrets from the Secret, the rest here. */}}
{{- define "taichu.env" -}}
envFrom:
  - secretRef:
      name: {{ include "taichu.secret" . }}
env:
  - {name: TAICHU_LOG_FORMAT, value: {{ .Values.logFormat | quote }}}
  - {name: TAICHU_DATA_DIR, value: /var/lib/taichu}
  {{- with .Values.objectStore.url }}
  - {name: TAICHU_OBJECT_STORE, value: {{ . | quote }}}
  - {name: AWS_REGION, value: {{ $.Values.objectStore.region | quote }}}
  - {name: AWS_ALLOW_HTTP, value: {{ $.Values.objectStore.allowHttp | quote }}}
  {{- end }}
  {{- with .Values.objectStore.endpoint }}
  - {name: AWS_ENDPOINT_URL, value: {{ . | quote }}}
  {{- end }}
{{- end -}}

{{- define "taichu.podSecurity" -}}
securityContext:
  runAsNonRoot: true
  runAsUser: 10001
  runAsGroup: 10001
  fsGroup: 10001
{{- end -}}

{{- define "taichu.containerSecurity" -}}
securityContext:
  allowPrivilegeEscalation: false
  readOnlyRootFilesystem: true
  capabilities: {drop: [ALL]}
{{- end -}}
