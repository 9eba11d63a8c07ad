terraform {
  required_version = ">= 1.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.0, < 7.0"
    }
  }
}

provider "aws" {
  region = var.region
}

# CloudFront's certificate must be in us-east-1: the stack's CDN module takes this provider for it.
provider "aws" {
  alias  = "us_east_1"
  region = "us-east-1"
}
