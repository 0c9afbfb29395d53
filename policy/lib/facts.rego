# Generated from policy/facts/eks_roles.json by `python -m eksiam.generated`: do not edit.
# What the AWS pages say about each EKS role kind (policy/facts/README.md).
package eksiam.lib.facts

import rego.v1

facts := {
	"admin_policies": [
		"AdministratorAccess",
		"AdministratorAccess-Amplify",
		"AdministratorAccess-AWSElasticBeanstalk",
		"PowerUserAccess",
		"IAMFullAccess",
		"job-function/SystemAdministrator"
	],
	"customer_policies": {
		"AmazonEKSConnectorAgentPolicy": {
			"document": {
				"Statement": [
					{
						"Action": [
							"ssmmessages:CreateControlChannel"
						],
						"Effect": "Allow",
						"Resource": "arn:<partition>:eks:*:*:cluster/*",
						"Sid": "SsmControlChannel"
					},
					{
						"Action": [
							"ssmmessages:CreateDataChannel",
							"ssmmessages:OpenDataChannel",
							"ssmmessages:OpenControlChannel"
						],
						"Effect": "Allow",
						"Resource": "*",
						"Sid": "ssmDataplaneOperations"
					}
				],
				"Version": "2012-10-17"
			},
			"page": "connector-iam-role"
		},
		"AmazonEKS_CNI_IPv6_Policy": {
			"document": {
				"Statement": [
					{
						"Action": [
							"ec2:AssignIpv6Addresses",
							"ec2:DescribeInstances",
							"ec2:DescribeTags",
							"ec2:DescribeNetworkInterfaces",
							"ec2:DescribeInstanceTypes"
						],
						"Effect": "Allow",
						"Resource": "*"
					},
					{
						"Action": [
							"ec2:CreateTags"
						],
						"Effect": "Allow",
						"Resource": [
							"arn:<partition>:ec2:*:*:network-interface/*"
						]
					}
				],
				"Version": "2012-10-17"
			},
			"page": "cni-iam-role"
		}
	},
	"eks_access": {
		"admin_kubernetes_groups": [
			"system:masters"
		],
		"page": "access-policies",
		"write_access_policies": {
			"AmazonEKSAdminPolicy": "cluster",
			"AmazonEKSClusterAdminPolicy": "any",
			"AmazonEKSEditPolicy": "cluster"
		}
	},
	"managed_policies": {
		"AmazonEC2ContainerRegistryPullOnly": {
			"document": {
				"Statement": [
					{
						"Action": [
							"ecr:GetAuthorizationToken",
							"ecr:BatchGetImage",
							"ecr:GetDownloadUrlForLayer",
							"ecr:BatchImportUpstreamImage"
						],
						"Effect": "Allow",
						"Resource": "*"
					}
				],
				"Version": "2012-10-17"
			},
			"path": "/",
			"version": "v1"
		},
		"AmazonEC2ContainerRegistryReadOnly": {
			"document": {
				"Statement": [
					{
						"Action": [
							"ecr:GetAuthorizationToken",
							"ecr:BatchCheckLayerAvailability",
							"ecr:GetDownloadUrlForLayer",
							"ecr:GetRepositoryPolicy",
							"ecr:DescribeRepositories",
							"ecr:ListImages",
							"ecr:DescribeImages",
							"ecr:BatchGetImage",
							"ecr:GetLifecyclePolicy",
							"ecr:GetLifecyclePolicyPreview",
							"ecr:ListTagsForResource",
							"ecr:DescribeImageScanFindings"
						],
						"Effect": "Allow",
						"Resource": "*"
					}
				],
				"Version": "2012-10-17"
			},
			"path": "/",
			"version": "v3"
		},
		"AmazonEKSConnectorServiceRolePolicy": {
			"document": {
				"Statement": [
					{
						"Action": [
							"ssm:CreateActivation",
							"ssm:DescribeInstanceInformation",
							"ssm:DeleteActivation"
						],
						"Effect": "Allow",
						"Resource": "*",
						"Sid": "AccessSSMService"
					},
					{
						"Action": [
							"ssm:StartSession"
						],
						"Effect": "Allow",
						"Resource": [
							"arn:aws:eks:*:*:cluster/*",
							"arn:aws:ssm:*::document/AmazonEKS-ExecuteNonInteractiveCommand"
						],
						"Sid": "ConnectorAgentStartSession"
					},
					{
						"Action": [
							"ssm:DeregisterManagedInstance"
						],
						"Effect": "Allow",
						"Resource": [
							"arn:aws:eks:*:*:cluster/*"
						],
						"Sid": "ConnectorAgentDeregister"
					},
					{
						"Action": [
							"iam:PassRole"
						],
						"Condition": {
							"StringEquals": {
								"iam:PassedToService": [
									"ssm.amazonaws.com"
								]
							}
						},
						"Effect": "Allow",
						"Resource": "*",
						"Sid": "PassAnyRoleToSsm"
					},
					{
						"Action": "events:PutRule",
						"Condition": {
							"ForAllValues:StringEquals": {
								"events:source": "aws.ssm"
							},
							"StringEquals": {
								"events:ManagedBy": "eks-connector.amazonaws.com"
							}
						},
						"Effect": "Allow",
						"Resource": "*",
						"Sid": "PutManagedEventRule"
					},
					{
						"Action": "events:PutTargets",
						"Condition": {
							"StringEquals": {
								"events:ManagedBy": "eks-connector.amazonaws.com"
							}
						},
						"Effect": "Allow",
						"Resource": "*",
						"Sid": "PutManagedEventTarget"
					},
					{
						"Action": [
							"ssmmessages:OpenDataChannel"
						],
						"Effect": "Allow",
						"Resource": "arn:aws:ssm:*:*:session/*",
						"Sid": "OpenDataChannel"
					}
				],
				"Version": "2012-10-17"
			},
			"path": "/aws-service-role/",
			"version": "v2"
		},
		"AmazonEKSFargatePodExecutionRolePolicy": {
			"document": {
				"Statement": [
					{
						"Action": [
							"ecr:GetAuthorizationToken",
							"ecr:BatchCheckLayerAvailability",
							"ecr:GetDownloadUrlForLayer",
							"ecr:BatchGetImage"
						],
						"Effect": "Allow",
						"Resource": "*"
					}
				],
				"Version": "2012-10-17"
			},
			"path": "/",
			"version": "v1"
		},
		"AmazonEKSWorkerNodeMinimalPolicy": {
			"document": {
				"Statement": [
					{
						"Action": [
							"eks-auth:AssumeRoleForPodIdentity"
						],
						"Effect": "Allow",
						"Resource": "*",
						"Sid": "WorkerNodePermissions"
					}
				],
				"Version": "2012-10-17"
			},
			"path": "/",
			"version": "v1"
		},
		"AmazonEKSWorkerNodePolicy": {
			"document": {
				"Statement": [
					{
						"Action": [
							"ec2:DescribeInstances",
							"ec2:DescribeInstanceTypes",
							"ec2:DescribeRouteTables",
							"ec2:DescribeSecurityGroups",
							"ec2:DescribeSubnets",
							"ec2:DescribeVolumes",
							"ec2:DescribeVolumesModifications",
							"ec2:DescribeVpcs",
							"eks:DescribeCluster",
							"eks-auth:AssumeRoleForPodIdentity"
						],
						"Effect": "Allow",
						"Resource": "*",
						"Sid": "WorkerNodePermissions"
					}
				],
				"Version": "2012-10-17"
			},
			"path": "/",
			"version": "v3"
		},
		"AmazonEKS_CNI_Policy": {
			"document": {
				"Statement": [
					{
						"Action": [
							"ec2:AssignPrivateIpAddresses",
							"ec2:AttachNetworkInterface",
							"ec2:CreateNetworkInterface",
							"ec2:DeleteNetworkInterface",
							"ec2:DescribeInstances",
							"ec2:DescribeTags",
							"ec2:DescribeNetworkInterfaces",
							"ec2:DescribeInstanceTypes",
							"ec2:DescribeSubnets",
							"ec2:DescribeSecurityGroups",
							"ec2:DetachNetworkInterface",
							"ec2:ModifyNetworkInterfaceAttribute",
							"ec2:UnassignPrivateIpAddresses"
						],
						"Effect": "Allow",
						"Resource": "*",
						"Sid": "AmazonEKSCNIPolicy"
					},
					{
						"Action": [
							"ec2:CreateTags"
						],
						"Effect": "Allow",
						"Resource": [
							"arn:aws:ec2:*:*:network-interface/*"
						],
						"Sid": "AmazonEKSCNIPolicyENITag"
					}
				],
				"Version": "2012-10-17"
			},
			"path": "/",
			"version": "v6"
		},
		"AmazonSSMManagedInstanceCore": {
			"document": {
				"Statement": [
					{
						"Action": [
							"ssm:DescribeAssociation",
							"ssm:GetDeployablePatchSnapshotForInstance",
							"ssm:GetDocument",
							"ssm:DescribeDocument",
							"ssm:GetManifest",
							"ssm:GetParameter",
							"ssm:GetParameters",
							"ssm:ListAssociations",
							"ssm:ListInstanceAssociations",
							"ssm:PutInventory",
							"ssm:PutComplianceItems",
							"ssm:PutConfigurePackageResult",
							"ssm:UpdateAssociationStatus",
							"ssm:UpdateInstanceAssociationStatus",
							"ssm:UpdateInstanceInformation"
						],
						"Effect": "Allow",
						"Resource": "*"
					},
					{
						"Action": [
							"ssmmessages:CreateControlChannel",
							"ssmmessages:CreateDataChannel",
							"ssmmessages:OpenControlChannel",
							"ssmmessages:OpenDataChannel"
						],
						"Effect": "Allow",
						"Resource": "*"
					},
					{
						"Action": [
							"ec2messages:AcknowledgeMessage",
							"ec2messages:DeleteMessage",
							"ec2messages:FailMessage",
							"ec2messages:GetEndpoint",
							"ec2messages:GetMessages",
							"ec2messages:SendReply"
						],
						"Effect": "Allow",
						"Resource": "*"
					}
				],
				"Version": "2012-10-17"
			},
			"path": "/",
			"version": "v2"
		}
	},
	"pages": {
		"access-policies": {
			"excerpt": "pages/access-policies.md",
			"read_on": "2026-12-03",
			"title": "Associate access policies with access entries",
			"url": "https://docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html"
		},
		"auto-create-node-role": {
			"excerpt": "pages/auto-create-node-role.md",
			"read_on": "2026-12-03",
			"title": "Amazon EKS Auto Mode node IAM role",
			"url": "https://docs.aws.amazon.com/eks/latest/userguide/auto-create-node-role.html"
		},
		"cni-iam-role": {
			"excerpt": "pages/cni-iam-role.md",
			"read_on": "2026-12-03",
			"title": "Configure Amazon VPC CNI plugin to use IRSA",
			"url": "https://docs.aws.amazon.com/eks/latest/userguide/cni-iam-role.html"
		},
		"connector-iam-role": {
			"excerpt": "pages/connector-iam-role.md",
			"read_on": "2026-12-03",
			"title": "Amazon EKS connector IAM role",
			"url": "https://docs.aws.amazon.com/eks/latest/userguide/connector_IAM_role.html"
		},
		"create-node-role": {
			"excerpt": "pages/create-node-role.md",
			"read_on": "2026-12-03",
			"title": "Amazon EKS node IAM role",
			"url": "https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html"
		},
		"hybrid-nodes-creds": {
			"excerpt": "pages/hybrid-nodes-creds.md",
			"read_on": "2026-12-03",
			"title": "Prepare credentials for hybrid nodes",
			"url": "https://docs.aws.amazon.com/eks/latest/userguide/hybrid-nodes-creds.html"
		},
		"seed-connector-2023": {
			"excerpt": "seeds",
			"read_on": "2023",
			"title": "Amazon EKS connector IAM role (2023 text, the specification of record)",
			"url": "https://docs.aws.amazon.com/eks/latest/userguide/connector_IAM_role.html"
		},
		"seed-node-2023": {
			"excerpt": "seeds",
			"read_on": "2023",
			"title": "Amazon EKS node IAM role (2023 text, the specification of record)",
			"url": "https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html"
		}
	},
	"partitions": {
		"aws": {
			"services": {
				"ec2": "ec2.amazonaws.com",
				"eks": "eks.amazonaws.com",
				"eks-fargate-pods": "eks-fargate-pods.amazonaws.com",
				"pods.eks": "pods.eks.amazonaws.com",
				"ssm": "ssm.amazonaws.com"
			}
		},
		"aws-cn": {
			"services": {
				"ec2": "ec2.amazonaws.com.cn",
				"eks": "eks.amazonaws.com",
				"eks-fargate-pods": "eks-fargate-pods.amazonaws.com",
				"pods.eks": "pods.eks.amazonaws.com",
				"ssm": "ssm.amazonaws.com"
			}
		},
		"aws-us-gov": {
			"services": {
				"ec2": "ec2.amazonaws.com",
				"eks": "eks.amazonaws.com",
				"eks-fargate-pods": "eks-fargate-pods.amazonaws.com",
				"pods.eks": "pods.eks.amazonaws.com",
				"ssm": "ssm.amazonaws.com"
			}
		}
	},
	"privilege_escalation": {
		"actions": [
			"iam:addusertogroup",
			"iam:attachgrouppolicy",
			"iam:attachrolepolicy",
			"iam:attachuserpolicy",
			"iam:createaccesskey",
			"iam:createloginprofile",
			"iam:createpolicyversion",
			"iam:passrole",
			"iam:putgrouppolicy",
			"iam:putrolepolicy",
			"iam:putuserpolicy",
			"iam:setdefaultpolicyversion",
			"iam:updateassumerolepolicy",
			"iam:updateloginprofile"
		],
		"source": "cloudsplaining 0.7.0, cloudsplaining.shared.constants.PRIVILEGE_ESCALATION_METHODS (the IAM actions of its methods)"
	},
	"read_on": "2026-12-03",
	"recognized_kinds": {
		"cluster": {
			"policies": [
				"AmazonEKSClusterPolicy",
				"AmazonEKSComputePolicy",
				"AmazonEKSBlockStoragePolicy",
				"AmazonEKSLoadBalancingPolicy",
				"AmazonEKSNetworkingPolicy",
				"AmazonEKSServicePolicy",
				"AmazonEKSVPCResourceController"
			],
			"trust_service": "eks"
		},
		"fargate": {
			"policies": [
				"AmazonEKSFargatePodExecutionRolePolicy"
			],
			"trust_service": "eks-fargate-pods"
		},
		"hybrid": {
			"name_forms": [
				"AmazonEKSHybridNodesRole"
			],
			"policies": [],
			"trust_service": "ssm"
		},
		"pod": {
			"federated_suffix": ":oidc-provider/oidc.eks.",
			"trust_service": "pods.eks"
		},
		"service-linked": {
			"connector_role_name": "AWSServiceRoleForAmazonEKSConnector",
			"connector_service": "eks-connector.amazonaws.com",
			"path_prefix": "/aws-service-role/"
		}
	},
	"role_kinds": {
		"auto-node": {
			"documented_policies": [
				"AmazonEKSWorkerNodeMinimalPolicy",
				"AmazonEC2ContainerRegistryPullOnly"
			],
			"name_forms": [
				"AmazonEKSAutoNodeRole"
			],
			"opt_in_policies": {
				"ssm-core": "AmazonSSMManagedInstanceCore"
			},
			"pages": [
				"auto-create-node-role"
			],
			"required": [
				{
					"policies": [
						"AmazonEKSWorkerNodeMinimalPolicy"
					],
					"why": "the node's own permissions in EKS Auto Mode"
				},
				{
					"policies": [
						"AmazonEC2ContainerRegistryPullOnly"
					],
					"why": "image pulls from ECR"
				}
			],
			"trust_extra_actions": {
				"sts:TagSession": "terraform-aws-eks writes it into the Auto Mode node role's trust; it lets the trusted service (EC2, only) tag its sessions and grants no principal anything"
			},
			"trust_service": "ec2"
		},
		"connector": {
			"documented_policies": [
				"AmazonEKSConnectorAgentPolicy"
			],
			"name_forms": [
				"AmazonEKSConnectorAgentRole"
			],
			"opt_in_policies": {},
			"pages": [
				"connector-iam-role",
				"seed-connector-2023"
			],
			"policy_name_forms": [
				"AmazonEKSConnectorAgentPolicy",
				"EKSConnectorAgentPolicy"
			],
			"required": [
				{
					"policies": [
						"AmazonEKSConnectorAgentPolicy"
					],
					"why": "the agent's SSM control and data channels"
				}
			],
			"trust_service": "ssm"
		},
		"node": {
			"documented_policies": [
				"AmazonEKSWorkerNodePolicy",
				"AmazonEKS_CNI_Policy",
				"AmazonEC2ContainerRegistryReadOnly",
				"AmazonEC2ContainerRegistryPullOnly",
				"AmazonEKS_CNI_IPv6_Policy"
			],
			"name_forms": [
				"NodeInstanceRole",
				"AmazonEKSNodeRole",
				"eksNodeRole"
			],
			"opt_in_policies": {
				"ipv6-cni": "AmazonEKS_CNI_IPv6_Policy",
				"ssm-core": "AmazonSSMManagedInstanceCore"
			},
			"pages": [
				"create-node-role",
				"seed-node-2023"
			],
			"required": [
				{
					"policies": [
						"AmazonEKSWorkerNodePolicy"
					],
					"why": "kubelet describes EC2 resources; the Pod Identity agent"
				},
				{
					"policies": [
						"AmazonEC2ContainerRegistryReadOnly",
						"AmazonEC2ContainerRegistryPullOnly"
					],
					"why": "kubelet pulls images from ECR (the 2023 text names ReadOnly, today's page PullOnly)"
				},
				{
					"optional_when": "cni_elsewhere",
					"policies": [
						"AmazonEKS_CNI_Policy"
					],
					"why": "the VPC CNI, unless it gets its permissions through IRSA or EKS Pod Identity"
				}
			],
			"trust_service": "ec2"
		}
	}
}
