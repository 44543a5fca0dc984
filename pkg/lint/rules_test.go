package lint_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/cairn-build/cairn/pkg/lint"
)

const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// at is a finding's position and severity, as a rule case expects it.
type at struct {
	line     int
	severity lint.Severity
}

// ruleCase is a Dockerfile and the findings one rule must report for it;
// want nil means the rule stays quiet (a near miss). Other rules are not
// looked at.
type ruleCase struct {
	name       string
	rule       string
	dockerfile string
	opts       lint.Options
	want       []at
	message    string // a substring of the first finding's message, if set
}

func fromCases() []ruleCase {
	return []ruleCase{
		{name: "untagged", rule: "DL3006", dockerfile: "FROM ubuntu\n", want: []at{{1, lint.Warning}}},
		{name: "untagged via ARG", rule: "DL3006", dockerfile: "ARG BASE=debian\nFROM ${BASE}\n", want: []at{{2, lint.Warning}}},
		{name: "untagged via build arg", rule: "DL3006", dockerfile: "ARG BASE=debian:12\nFROM $BASE\n",
			opts: lint.Options{BuildArgs: map[string]string{"BASE": "debian"}}, want: []at{{2, lint.Warning}}},
		{name: "tag and digest", rule: "DL3006", dockerfile: "FROM busybox:1.36@" + digest + "\n"},
		{name: "digest only", rule: "DL3006", dockerfile: "FROM busybox@" + digest + "\n"},
		{name: "stage name", rule: "DL3006", dockerfile: "FROM golang:1.26 AS builder\nFROM builder\n"},
		{name: "stage via TARGETARCH", rule: "DL3006", dockerfile: "FROM alpine:3.20 AS build-amd64\nFROM build-${TARGETARCH}\n"},
		{name: "scratch", rule: "DL3006", dockerfile: "FROM scratch\n"},
		{name: "latest", rule: "DL3007", dockerfile: "FROM alpine:3.20 AS a\nFROM alpine:latest\n", want: []at{{2, lint.Warning}}},
		{name: "versioned", rule: "DL3007", dockerfile: "FROM alpine:3.20\n"},
		{name: "latest pinned by digest", rule: "DL3007", dockerfile: "FROM busybox:latest@" + digest + "\n"},
		{name: "no digest", rule: "CAIRN001", dockerfile: "FROM alpine:3.20 AS a\nFROM a\nFROM busybox@" + digest + "\n",
			opts: lint.Options{PinDigests: true}, want: []at{{1, lint.Warning}}},
		{name: "no digest, pinning off", rule: "CAIRN001", dockerfile: "FROM alpine:3.20\n"},
		{name: "pinned", rule: "CAIRN001", dockerfile: "FROM busybox:1.36@" + digest + "\n", opts: lint.Options{PinDigests: true}},
	}
}

func userCases() []ruleCase {
	return []ruleCase{
		{name: "root", rule: "DL3002", dockerfile: "FROM alpine:3.20\nUSER root\n", want: []at{{2, lint.Error}}},
		{name: "uid 0", rule: "DL3002", dockerfile: "FROM alpine:3.20\nUSER app\nUSER 0:0\n", want: []at{{3, lint.Error}}},
		{name: "root group", rule: "DL3002", dockerfile: "FROM alpine:3.20\nUSER root:root\n", want: []at{{2, lint.Error}}},
		{name: "root in base stage", rule: "DL3002", dockerfile: "FROM alpine:3.20 AS base\nUSER root\nFROM base\nRUN true\n", want: []at{{2, lint.Error}}},
		{name: "root then user", rule: "DL3002", dockerfile: "FROM alpine:3.20\nUSER root\nRUN apk upgrade\nUSER app\n"},
		{name: "root in other stage", rule: "DL3002", dockerfile: "FROM alpine:3.20 AS build\nUSER root\nFROM alpine:3.20\nUSER app\n"},
		{name: "root outside target", rule: "DL3002", dockerfile: "FROM alpine:3.20 AS app\nUSER app\nFROM app AS debug\nUSER root\n",
			opts: lint.Options{Target: "app"}},
		{name: "no user", rule: "CAIRN002", dockerfile: "FROM alpine:3.20\nRUN true\n", want: []at{{1, lint.Warning}}},
		{name: "no user in target", rule: "CAIRN002", dockerfile: "FROM alpine:3.20 AS app\nRUN true\nFROM app\nUSER app\n",
			opts: lint.Options{Target: "0"}, want: []at{{1, lint.Warning}}},
		{name: "user from base stage", rule: "CAIRN002", dockerfile: "FROM alpine:3.20 AS base\nUSER app\nFROM base\nRUN true\n"},
		{name: "nonroot image", rule: "CAIRN002", dockerfile: "FROM gcr.io/distroless/static:nonroot\n"},
	}
}

func instructionCases() []ruleCase {
	return []ruleCase{
		{name: "ADD URL", rule: "CAIRN007", dockerfile: "FROM alpine:3.20\nADD https://example.com/app.tgz /app.tgz\n", want: []at{{2, lint.Error}}},
		{name: "ADD with checksum", rule: "CAIRN007", dockerfile: "FROM alpine:3.20\nADD --checksum=" + digest + " https://example.com/app.tgz /app.tgz\n"},
		{name: "ADD local", rule: "CAIRN007", dockerfile: "FROM alpine:3.20\nADD app.tgz /opt/\n"},
		{name: "secret ENV", rule: "CAIRN003", dockerfile: "FROM alpine:3.20\nENV DB_Password=x\n", want: []at{{2, lint.Error}}},
		{name: "secret global ARG", rule: "CAIRN003", dockerfile: "ARG GITHUB_TOKEN\nFROM alpine:3.20\nARG SSH_KEY\n", want: []at{{1, lint.Error}, {3, lint.Error}}},
		{name: "not secrets", rule: "CAIRN003", dockerfile: "FROM alpine:3.20\nARG KEYRING\nENV APP_HOME=/app KEY_ID=7\n"},
		{name: "no .dockerignore", rule: "CAIRN006", dockerfile: "FROM alpine:3.20\n",
			opts: lint.Options{ContextFiles: []string{"Dockerfile", "main.go"}}, want: []at{{0, lint.Warning}}},
		{name: ".dockerignore", rule: "CAIRN006", dockerfile: "FROM alpine:3.20\n", opts: lint.Options{ContextFiles: []string{".dockerignore"}}},
		{name: "Dockerfile-specific ignore file", rule: "CAIRN006", dockerfile: "FROM alpine:3.20\n",
			opts: lint.Options{Filename: "build/app.Dockerfile", ContextFiles: []string{"app.Dockerfile.dockerignore"}}},
		{name: "context unknown", rule: "CAIRN006", dockerfile: "FROM alpine:3.20\n"},
	}
}

func packageCases() []ruleCase {
	const from = "FROM debian:12\n"
	return []ruleCase{
		{name: "apt lists kept", rule: "DL3009", dockerfile: from + "RUN apt-get update && apt-get install -y curl\n", want: []at{{2, lint.Warning}}},
		{name: "apt lists kept, heredoc", rule: "DL3009", dockerfile: from + "RUN <<EOF\napt-get update\napt-get install -y git\nEOF\n", want: []at{{2, lint.Warning}}},
		{name: "apt lists kept, exec form", rule: "DL3009", dockerfile: from + "RUN [\"apt-get\", \"install\", \"-y\", \"git\"]\n", want: []at{{2, lint.Warning}}},
		{name: "apt lists removed", rule: "DL3009", dockerfile: from + "RUN apt-get update \\\n && apt-get install -y curl \\\n && rm -rf /var/lib/apt/lists/*\n"},
		{name: "apt cache mount", rule: "DL3009", dockerfile: from + "RUN --mount=type=cache,target=/var/cache/apt apt-get update && apt-get install -y curl\n"},
		{name: "apt in heredoc data", rule: "DL3009", dockerfile: from + "RUN cat <<EOF > /etc/motd\napt-get install -y fun\nEOF\n"},
		{name: "apk cache kept", rule: "DL3019", dockerfile: "FROM alpine:3.20\nRUN apk add curl\n", want: []at{{2, lint.Warning}}},
		{name: "apk no-cache", rule: "DL3019", dockerfile: "FROM alpine:3.20\nRUN apk add --no-cache curl\n"},
		{name: "apk cache removed", rule: "DL3019", dockerfile: "FROM alpine:3.20\nRUN apk add curl && rm -rf /var/cache/apk/*\n"},
		{name: "apk cache mount", rule: "DL3019", dockerfile: "FROM alpine:3.20\nRUN --mount=type=cache,target=/var/cache/apk apk add curl\n"},
		{name: "yum cache kept", rule: "DL3032", dockerfile: "FROM centos:7\nRUN yum install -y httpd\n", want: []at{{2, lint.Warning}}},
		{name: "yum clean all", rule: "DL3032", dockerfile: "FROM centos:7\nRUN yum install -y httpd && yum clean all\n"},
	}
}

func deletedCases() []ruleCase {
	const from = "FROM alpine:3.20\n"
	return []ruleCase{
		{name: "wget then rm", rule: "CAIRN004", dockerfile: from + "RUN wget -O /tmp/app.tgz https://example.com/app.tgz\nRUN echo\nRUN rm /tmp/app.tgz\n",
			want: []at{{4, lint.Warning}}, message: "/tmp/app.tgz created on line 2, deleted on line 4: the bytes stay in the earlier layer"},
		{name: "COPY into dir then rm", rule: "CAIRN004", dockerfile: from + "COPY installer.sh /tmp/\nRUN sh /tmp/installer.sh\nRUN rm -f /tmp/installer.sh\n",
			want: []at{{4, lint.Warning}}, message: "created on line 2, deleted on line 4"},
		{name: "curl cluster then rm glob", rule: "CAIRN004", dockerfile: from + "RUN curl -fsSLo /tmp/a.tgz https://example.com/a.tgz\nRUN rm -rf /tmp/*\n", want: []at{{3, lint.Warning}}},
		{name: "redirect then rm dir", rule: "CAIRN004", dockerfile: from + "RUN mkdir /build && echo hi > /build/log\nRUN rm -r /build\n", want: []at{{3, lint.Warning}}},
		{name: "dd then rm", rule: "CAIRN004", dockerfile: from + "RUN dd if=/dev/zero of=/swap bs=1M count=64\nRUN rm /swap\n", want: []at{{3, lint.Warning}}},
		{name: "relative to WORKDIR", rule: "CAIRN004", dockerfile: from + "WORKDIR /app\nRUN touch x\nWORKDIR /\nRUN rm /app/x\n", want: []at{{5, lint.Warning}}},
		{name: "same RUN", rule: "CAIRN004", dockerfile: from + "RUN curl -o /tmp/a.tgz https://example.com/a.tgz && tar xzf /tmp/a.tgz && rm /tmp/a.tgz\n"},
		{name: "other stage", rule: "CAIRN004", dockerfile: from[:len(from)-1] + " AS a\nRUN touch /x\nFROM a\nRUN rm /x\n"},
		{name: "cd elsewhere", rule: "CAIRN004", dockerfile: from + "WORKDIR /app\nRUN cd /tmp && touch x\nRUN rm x\n"},
		{name: "rm of unrelated path", rule: "CAIRN004", dockerfile: from + "COPY . /app\nRUN rm -rf /app/tests\n"},
		{name: "deleted once", rule: "CAIRN004", dockerfile: from + "RUN touch /x\nRUN rm /x\nRUN rm -f /x\n", want: []at{{3, lint.Warning}}},
	}
}

func downloadCases() []ruleCase {
	const from = "FROM alpine:3.20\n"
	return []ruleCase{
		{name: "curl pipe sh", rule: "CAIRN005", dockerfile: from + "RUN curl -fsSL https://example.com/install.sh | sh\n", want: []at{{2, lint.Error}}},
		{name: "wget", rule: "CAIRN005", dockerfile: from + "RUN wget https://example.com/a.tgz && tar xzf a.tgz\n", want: []at{{2, lint.Error}}},
		{name: "curl to file, heredoc", rule: "CAIRN005", dockerfile: from + "RUN <<EOF\nset -e\ncurl -fsSL \"$URL\" -o /tmp/a.tgz\nEOF\n", want: []at{{2, lint.Error}}},
		{name: "sha256sum -c", rule: "CAIRN005", dockerfile: from + "RUN curl -fsSL https://example.com/f.tgz -o f.tgz && echo \"abc  f.tgz\" | sha256sum -c - && tar xzf f.tgz\n"},
		{name: "shasum -a 256 -c", rule: "CAIRN005", dockerfile: from + "RUN wget -q https://example.com/f && shasum -a 256 -c f.sha256\n"},
		{name: "gpg --verify", rule: "CAIRN005", dockerfile: from + "RUN curl -fsSLO https://example.com/a.tgz && curl -fsSLO https://example.com/a.tgz.asc && gpg --batch --verify a.tgz.asc a.tgz\n"},
		{name: "cosign verify-blob", rule: "CAIRN005", dockerfile: from + "RUN curl -fsSLo a https://example.com/a && cosign verify-blob --key k.pub --signature a.sig a\n"},
		{name: "health check", rule: "CAIRN005", dockerfile: from + "RUN curl -f http://localhost:8080/health\n"},
		{name: "local pipe", rule: "CAIRN005", dockerfile: from + "RUN curl -fsS http://127.0.0.1:8080/ | grep ok\n"},
		{name: "curl to stdout", rule: "CAIRN005", dockerfile: from + "RUN curl -fsS https://example.com/ping\n"},
		{name: "curl to /dev/null", rule: "CAIRN005", dockerfile: from + "RUN curl -fsS -o /dev/null https://example.com/ping\n"},
	}
}

func pipefailCases() []ruleCase {
	const from = "FROM debian:12\n"
	return []ruleCase{
		{name: "pipe", rule: "DL4006", dockerfile: from + "RUN echo hi | grep h\n", want: []at{{2, lint.Warning}}},
		{name: "pipe in heredoc", rule: "DL4006", dockerfile: from + "RUN <<EOF\necho hi | grep h\nEOF\n", want: []at{{2, lint.Warning}}},
		{name: "pipe under sh SHELL", rule: "DL4006", dockerfile: from + "SHELL [\"/bin/sh\", \"-c\"]\nRUN echo hi | grep h\n", want: []at{{3, lint.Warning}}},
		{name: "pipe in sh -c", rule: "DL4006", dockerfile: from + "RUN [\"sh\", \"-c\", \"echo hi | grep h\"]\n", want: []at{{2, lint.Warning}}},
		{name: "pipefail set before", rule: "DL4006", dockerfile: from + "RUN set -euxo pipefail; echo hi | grep h\n"},
		{name: "pipefail set after", rule: "DL4006", dockerfile: from + "RUN echo hi | grep h; set -o pipefail\n", want: []at{{2, lint.Warning}}},
		{name: "pipefail SHELL", rule: "DL4006", dockerfile: from + "SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\nRUN echo hi | grep h\n"},
		{name: "pipefail SHELL in base stage", rule: "DL4006", dockerfile: from[:len(from)-1] + " AS base\nSHELL [\"/bin/bash\", \"-eo\", \"pipefail\", \"-c\"]\nFROM base\nRUN echo hi | grep h\n"},
		{name: "pipefail in heredoc", rule: "DL4006", dockerfile: from + "RUN <<EOF\nset -o pipefail\necho hi | grep h\nEOF\n"},
		{name: "quoted pipe and ||", rule: "DL4006", dockerfile: from + "RUN echo 'a|b' \"c|d\" a\\|b && false || true\n"},
		{name: "exec form", rule: "DL4006", dockerfile: from + "RUN [\"echo\", \"a\", \"|\", \"b\"]\n"},
		{name: "heredoc data", rule: "DL4006", dockerfile: from + "RUN cat <<EOF > /etc/x\na | b\nEOF\n"},
		{name: "python heredoc", rule: "DL4006", dockerfile: from + "RUN <<EOF\n#!/usr/bin/env python3\nprint(1 | 2)\nEOF\n"},
		{name: "powershell", rule: "DL4006", dockerfile: "FROM mcr.microsoft.com/powershell:7.4\nSHELL [\"pwsh\", \"-c\"]\nRUN Get-Item . | Select-Object Name\n"},
	}
}

func allRuleCases() []ruleCase {
	return slices.Concat(fromCases(), userCases(), instructionCases(), packageCases(), deletedCases(), downloadCases(), pipefailCases())
}

// TestRules checks every rule on Dockerfiles that trigger it and on near
// misses that must not.
func TestRules(t *testing.T) {
	for _, tc := range allRuleCases() {
		t.Run(tc.rule+"/"+tc.name, func(t *testing.T) {
			got, err := lint.Lint(t.Context(), []byte(tc.dockerfile), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			var pos []at
			var msgs []string
			for _, f := range got {
				if f.Rule == tc.rule {
					pos = append(pos, at{f.Line, f.Severity})
					msgs = append(msgs, f.Message)
				}
			}
			if !slices.Equal(pos, tc.want) {
				t.Fatalf("%s findings at %v, want %v\nall: %s", tc.rule, pos, tc.want, dump(got))
			}
			if tc.message != "" && !strings.Contains(msgs[0], tc.message) {
				t.Errorf("message %q does not contain %q", msgs[0], tc.message)
			}
		})
	}
}

// TestRulesCatalog checks that every rule a case exercises is listed,
// once, with a description.
func TestRulesCatalog(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range lint.Rules() {
		if seen[r.ID] || r.Description == "" || r.Severity == "" {
			t.Errorf("bad or duplicate rule %+v", r)
		}
		seen[r.ID] = true
	}
	for _, tc := range allRuleCases() {
		if !seen[tc.rule] {
			t.Errorf("rule %s is not in Rules()", tc.rule)
		}
	}
}

func dump(fs []lint.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "\n  %d %s %s: %s", f.Line, f.Rule, f.Severity, f.Message)
	}
	return b.String()
}
