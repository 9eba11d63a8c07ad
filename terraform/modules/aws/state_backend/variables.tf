variable "create" {
  description = "Create the state bucket and lock table; false creates nothing."
  type        = bool
  default     = true
}

variable "bucket_name" {
  description = "Name of the S3 bucket holding Terraform state."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "The bucket_name must be 3-63 lowercase letters, digits, dots or hyphens, starting and ending with a letter or digit."
  }
}

variable "lock_table_name" {
  description = "Name of the DynamoDB table Terraform takes state locks in."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_.-]{3,255}$", var.lock_table_name))
    error_message = "The lock_table_name must be 3-255 letters, digits, underscores, dots or hyphens."
  }
}

variable "kms_key_arn" {
  description = "KMS key ARN for the bucket and the table; null creates a dedicated key with rotation."
  type        = string
  default     = null
}

variable "noncurrent_version_days" {
  description = "Days to keep superseded state versions (the way back from a bad apply)."
  type        = number
  default     = 90
}

variable "deletion_protection" {
  description = "Protect the lock table from deletion and keep the bucket from being destroyed while it holds state."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags merged into every resource; must carry `environment`."
  type        = map(string)
  default     = {}
}
