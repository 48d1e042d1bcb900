"""imgedge's AWS CDK app: the ``ImageEdge`` construct, its WAF web ACL and the us-east-1 stack that joins them."""

from imgedge_cdk.construct import ImageEdge as ImageEdge
from imgedge_cdk.props import ImageEdgeProps as ImageEdgeProps
from imgedge_cdk.props import PriceClass as PriceClass
from imgedge_cdk.props import PropsError as PropsError
from imgedge_cdk.stack import ImageEdgeStack as ImageEdgeStack
from imgedge_cdk.waf import ImageEdgeWebAcl as ImageEdgeWebAcl

__all__ = ["ImageEdge", "ImageEdgeProps", "ImageEdgeStack", "ImageEdgeWebAcl", "PriceClass", "PropsError"]
