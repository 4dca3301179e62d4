package cloud

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Config loads the default AWS configuration (environment, then the Lambda role).
func Config(ctx context.Context) aws.Config {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		// Without a configuration the function cannot do anything; Lambda reports the init error.
		panic(fmt.Sprintf("cloud: loading AWS configuration: %v", err))
	}
	return cfg
}

func DynamoDB(cfg aws.Config) *dynamodb.Client { return dynamodb.NewFromConfig(cfg) }

func S3(cfg aws.Config) *s3.Client {
	pathStyle, _ := strconv.ParseBool(os.Getenv("S3_PATH_STYLE"))
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = pathStyle })
}

// Env returns a required setting, or stops the function's start-up with a clear message.
func Env(name string) string {
	v := os.Getenv(name)
	if v == "" {
		panic("cloud: setting " + name + " is not set")
	}
	return v
}

// Days reads an optional setting given in whole days; 0 when it is unset or not a positive number.
func Days(name string) time.Duration {
	n, err := strconv.Atoi(os.Getenv(name))
	if err != nil || n <= 0 {
		return 0
	}
	return time.Duration(n) * 24 * time.Hour
}
