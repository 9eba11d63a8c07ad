terraform {
  required_version = ">= 1.0"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 6.0, < 7.0"
    }
  }
}

# Credentials come from the environment (GOOGLE_APPLICATION_CREDENTIALS or gcloud); project and region from
# the variables, as in a rendered root module.
provider "google" {
  project = var.project_id == "" ? null : var.project_id
  region  = var.region
}
