-- wrk script for bench/serve.sh: POSTs betsy's startProcessSync request envelope, byte for byte as
-- the driver sends it (shared/conformance/betsy/README.md section 3.2), to the URL wrk is given.
-- No response() callback on purpose: it would make wrk parse every body in Lua and lower the
-- ceiling it can measure. serve.sh checks one answer with curl before the run, and reports wrk's
-- "Non-2xx or 3xx responses" and socket errors.
wrk.method = "POST"
wrk.headers["Content-Type"] = "text/xml"
wrk.headers["SOAPAction"] = '"sync"'
wrk.body = [[<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">
   <soapenv:Header/>
   <soapenv:Body>
      <testElementSyncRequest xmlns="http://dsg.wiai.uniba.de/betsy/activities/wsdl/testinterface">5</testElementSyncRequest>
   </soapenv:Body>
</soapenv:Envelope>]]
