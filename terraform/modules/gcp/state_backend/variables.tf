variable "project_id" {
  description = "Project to create the state bucket in; empty uses the provider's project."
  type        = string
  default     = ""
}

variable "bucket_name" {
  description = "Name of the state bucket (globally unique), e.g. acme-openedx-tfstate."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]$", var.bucket_name)) && !can(regex("^goog", var.bucket_name))
    error_message = "The bucket_name must be 3-63 lowercase letters, digits, hyphens or underscores, start and end with a letter or digit, and not start with \"goog\"."
  }
}

variable "location" {
  description = "Bucket location: a region (e.g. us-central1) or a multi-region (US, EU)."
  type        = string
}

variable "prefix" {
  description = "State path prefix the backend configuration output suggests (one per environment)."
  type        = string
  default     = "openedx"
}

variable "noncurrent_versions_kept" {
  description = "Older state versions kept at least; older ones are deleted once noncurrent_version_days have also passed."
  type        = number
  default     = 20

  validation {
    condition     = var.noncurrent_versions_kept >= 1
    error_message = "The noncurrent_versions_kept must be 1 or more."
  }
}

variable "noncurrent_version_days" {
  description = "Days an older state version is kept at least."
  type        = number
  default     = 90

  validation {
    condition     = var.noncurrent_version_days >= 1
    error_message = "The noncurrent_version_days must be 1 or more."
  }
}

variable "kms_key_name" {
  description = "Cloud KMS key for the bucket's default encryption (CMEK); empty: Google-managed encryption at rest."
  type        = string
  default     = ""
}

variable "admin_members" {
  description = "IAM members (e.g. \"serviceAccount:ci@p.iam.gserviceaccount.com\") that may read and write state objects."
  type        = list(string)
  default     = []
}

variable "labels" {
  description = "Labels of the bucket."
  type        = map(string)
  default     = {}
}
