package mockcloud

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// answerInvoke returns what the cloud would answer to a data-source call. An invoke the harness does not
// know is an error: a program that starts calling something new must teach the harness a realistic
// answer, rather than get an empty one that lets a test pass silently.
func answerInvoke(token string, args resource.PropertyMap, region string) (resource.PropertyMap, error) {
	if r := str(args, "region"); r != "" {
		region = r
	}
	if region == "" {
		region = "eu-north-1"
	}
	for _, answer := range []func(string, resource.PropertyMap, string) (resource.PropertyMap, bool){answerAWS, answerAzure, answerGCP} {
		if out, ok := answer(token, args, region); ok {
			return out, nil
		}
	}
	return nil, fmt.Errorf("mockcloud: no mock answer for invoke %s; add a realistic one to mockcloud/invokes.go", token)
}

// shortRegion abbreviates "eu-north-1" to "eun1", the prefix of AWS zone IDs.
func shortRegion(region string) string {
	out := []byte{}
	parts := []byte(region)
	word := true
	for _, c := range parts {
		switch {
		case c == '-':
			word = true
		case c >= '0' && c <= '9':
			out = append(out, c)
		case word:
			out = append(out, c)
			word = false
		}
	}
	return string(out)
}
