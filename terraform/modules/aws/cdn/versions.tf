terraform {
  required_version = ">= 1.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.0, < 7.0"
      # CloudFront takes its certificate from ACM in us-east-1 only, whatever the environment's region.
      configuration_aliases = [aws.us_east_1]
    }
  }
}
