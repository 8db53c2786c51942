import{k as n}from"./index-DsXT_0ov.js";async function e(){const r=await n("/v1/providers");return r.length?r[r.length-1].id:""}export{e as m};
