variable "environment" {
  description = "Environment name: prefix of the service account name."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.environment))
    error_message = "The environment must match [a-z][a-z0-9-]{1,30}."
  }
}

variable "project_id" {
  description = "Project to create the buckets and service account in; empty uses the provider's project."
  type        = string
  default     = ""
}

variable "location" {
  description = "Bucket location: a region (e.g. us-central1) or a multi-region (US, EU)."
  type        = string
}

variable "bucket_prefix" {
  description = "Bucket names are <bucket_prefix>-uploads, -exports, -grades, -backups (globally unique)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,53}[a-z0-9]$", var.bucket_prefix)) && !can(regex("^goog", var.bucket_prefix))
    error_message = "The bucket_prefix must be 3-55 characters of lowercase letters, digits and hyphens, start and end with a letter or digit, and not start with \"goog\"."
  }
}

variable "bucket_kinds" {
  description = "Which buckets to create."
  type        = list(string)
  default     = ["uploads", "exports", "grades", "backups"]

  validation {
    condition     = alltrue([for k in var.bucket_kinds : contains(["uploads", "exports", "grades", "backups"], k)])
    error_message = "The bucket_kinds may contain uploads, exports, grades and backups only."
  }
}

variable "versioning" {
  description = "Keep noncurrent object versions (deleted after noncurrent_version_days)."
  type        = bool
  default     = true
}

variable "noncurrent_version_days" {
  description = "Days a noncurrent object version is kept before deletion."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_days >= 1
    error_message = "The noncurrent_version_days must be 1 or more."
  }
}

variable "force_destroy" {
  description = "Let Terraform delete non-empty buckets; only for disposable environments."
  type        = bool
  default     = false
}

variable "kms_key_name" {
  description = "Cloud KMS key for the buckets' default encryption (CMEK); empty: Google-managed encryption at rest."
  type        = string
  default     = ""
}

variable "create_service_account" {
  description = "Create the hosts' service account and grant it object admin on these buckets except backups, and nothing else."
  type        = bool
  default     = true
}

variable "allow_self_signing" {
  description = "Let the created service account sign blobs as itself (roles/iam.serviceAccountTokenCreator on itself), which signed download URLs need with metadata-server credentials."
  type        = bool
  default     = true
}

variable "service_account_email" {
  description = "Existing service account to grant bucket access (backups excepted) to when create_service_account is false."
  type        = string
  default     = ""
}

variable "labels" {
  description = "Labels for every bucket; must carry `environment`."
  type        = map(string)
  default     = {}
}
