terraform {
  required_version = ">= 1.0"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 6.0, < 7.0"
    }
  }
}

# Project and credentials come from the environment (GOOGLE_PROJECT, GOOGLE_APPLICATION_CREDENTIALS or gcloud).
provider "google" {
  region = "us-central1"
}
