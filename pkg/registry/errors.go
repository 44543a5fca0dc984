package registry

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// IsNotFound reports whether err is a registry's 404: the manifest, tag or
// blob asked for does not exist.
func IsNotFound(err error) bool {
	status, _ := Status(err)
	return status == http.StatusNotFound
}

// Status is err's HTTP status and first registry error code; 0 and "" when
// err is not a registry's answer.
func Status(err error) (int, transport.ErrorCode) {
	var te *transport.Error
	if !errors.As(err, &te) {
		return 0, ""
	}
	var code transport.ErrorCode
	if len(te.Errors) > 0 {
		code = te.Errors[0].Code
	}
	return te.StatusCode, code
}

// DescribeStatus is a status and error code as a message names them:
// "405 Method Not Allowed (UNSUPPORTED)".
func DescribeStatus(status int, code transport.ErrorCode) string {
	s := strconv.Itoa(status) + " " + http.StatusText(status)
	if code != "" {
		s += " (" + string(code) + ")"
	}
	return s
}
