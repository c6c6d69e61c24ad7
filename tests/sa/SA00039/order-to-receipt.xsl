<?xml version="1.0" encoding="UTF-8"?>
<!-- Turns an order into a receipt. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:tns="urn:example:orders">
    <xsl:param name="currency" select="'EUR'"/>
    <xsl:template match="/tns:order">
        <tns:receipt>
            <tns:id><xsl:value-of select="tns:id"/></tns:id>
            <tns:amount><xsl:value-of select="tns:amount"/></tns:amount>
        </tns:receipt>
    </xsl:template>
</xsl:stylesheet>
