terraform {
  required_version = ">= 1.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.0, < 7.0"
      # The CDN's certificate lives in us-east-1 (CloudFront reads ACM there only): the root module passes a
      # provider configured for that region as aws.us_east_1.
      configuration_aliases = [aws.us_east_1]
    }
  }
}
